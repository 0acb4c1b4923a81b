/**
 * The whole exec, as a child process run exactly as the kubelet runs it, judged by the fake kubelet.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_KINDS } from '../../core/errors.ts';
import { runLikeKubelet } from '../../core/kubelet.ts';
import { encodeRequest } from '../../core/protocol.ts';
import { defineProvider } from '../../core/provider.ts';
import { MAX_REQUEST_BYTES, runProvider } from '../../core/run.ts';
import { type FakeIssuer, startFakeIssuer } from '../../core/testing/issuer.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/provider.ts', import.meta.url));
const command = [process.execPath, FIXTURE];
const PASSWORD = 'fixture-password-8c1f';
const IMAGE = 'registry.fixture.test/team/app';

let issuer: FakeIssuer;
beforeAll(async () => {
  issuer = await startFakeIssuer();
});
afterAll(() => issuer.close());

describe('a defineProvider provider, exec-ed like the kubelet', () => {
  it.each(['v1', 'v1beta1', 'v1alpha1'])('answers %s validly with cache hints', async (apiVersion) => {
    const result = await runLikeKubelet({ command, apiVersion, image: IMAGE, env: { FIXTURE_PASSWORD: PASSWORD } });
    expect(result.stderr).toBe('');
    expect(result.verdict).toMatchObject({
      valid: true,
      reasons: [],
      warnings: [],
      cacheKey: 'registry.fixture.test',
      matchingKeys: ['registry.fixture.test'],
    });
    expect(result.verdict.cacheSeconds).toBeGreaterThan(3200);
    expect(result.verdict.cacheSeconds).toBeLessThanOrEqual(3300);
    expect(result.response?.apiVersion).toBe(`credentialprovider.kubelet.k8s.io/${apiVersion}`);
  });

  it('uses the service account token when the kubelet sends one', async () => {
    const token = await issuer.mint({ audience: 'fixture-audience', namespace: 'team', serviceAccount: 'puller' });
    const result = await runLikeKubelet({
      command,
      image: IMAGE,
      serviceAccountToken: token,
      serviceAccountAnnotations: { 'fixture.test/role': 'reader', 'other.io/ignored': 'x' },
      cacheType: 'ServiceAccount',
    });
    expect(result.verdict.valid).toBe(true);
    expect(result.response?.auth?.['registry.fixture.test']?.username).toBe('system:serviceaccount:team:puller');
    expect(result.stderr).not.toContain(token);
  });

  it.each([
    { name: 'told to keep it 10 minutes', env: { FIXTURE_UNKNOWN_EXPIRY: '600' }, cacheDuration: '10m0s' },
    { name: 'not told: not cached', env: { FIXTURE_UNKNOWN_EXPIRY: '0' }, cacheDuration: '0s' },
  ])('a credential without an expiry, $name', async ({ env, cacheDuration }) => {
    const result = await runLikeKubelet({ command, image: IMAGE, env });
    expect(result.verdict.valid).toBe(true);
    expect(result.response?.cacheDuration).toBe(cacheDuration);
  });

  it('keeps the port in the auth key', async () => {
    const result = await runLikeKubelet({ command, image: 'fixture.test:5000/app' });
    expect(result.verdict).toMatchObject({
      valid: true,
      cacheKey: 'fixture.test:5000',
      matchingKeys: ['fixture.test:5000'],
    });
  });

  it('answers no auth and 0s for images it does not serve', async () => {
    const result = await runLikeKubelet({ command, image: 'docker.io/library/nginx' });
    expect(result.exitCode).toBe(0);
    expect(result.response).toEqual({
      kind: 'CredentialProviderResponse',
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      cacheKeyType: 'Registry',
      cacheDuration: '0s',
    });
    expect(result.verdict.cacheSeconds).toBe(0);
  });

  it('prints --version and --help on stdout', async () => {
    const version = await runLikeKubelet({ command: [...command, '--version'], image: IMAGE, stdin: '' });
    expect(version.stdout).toBe('fixture-provider 1.2.3\n');
    const help = await runLikeKubelet({ command: [...command, '--help'], image: IMAGE, stdin: '' });
    expect(help.stdout).toContain('--token-audience');
  });
});

describe('every failure class: exit ≠ 0, one clear line, empty stdout, no secret', () => {
  const cases = [
    {
      name: 'bad JSON',
      stdin: '{"kind": nope',
      kind: 'request',
      line: /stdin is not a JSON CredentialProviderRequest/,
    },
    {
      name: 'wrong kind',
      stdin: '{"kind":"WrongKind","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"a.fixture.test/x"}',
      kind: 'request',
      line: /kind: .*expected "CredentialProviderRequest"/,
    },
    {
      name: 'unknown apiVersion',
      stdin:
        '{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v2","image":"a.fixture.test/x"}',
      kind: 'request',
      line: /apiVersion/,
    },
    {
      name: 'oversize stdin',
      stdin: 'x'.repeat(MAX_REQUEST_BYTES + 10),
      kind: 'request',
      line: /stdin is larger than 1048576 bytes/,
    },
    {
      name: 'expired token',
      mint: { audience: 'fixture-audience', expiresInSeconds: -3600 },
      kind: 'token',
      line: /expired \d+s ago/,
    },
    {
      name: 'wrong audience',
      mint: { audience: 'sts.amazonaws.com' },
      kind: 'token',
      line: /token audience is \["sts\.amazonaws\.com"\], this provider expects fixture-audience: set tokenAttributes\.serviceAccountTokenAudience/,
    },
    { name: 'adapter throws', env: { FIXTURE_MODE: 'throw' }, kind: 'internal', line: /the fixture cloud said no/ },
    {
      name: 'cloud denies',
      env: { FIXTURE_MODE: 'denied' },
      mint: { audience: 'fixture-audience' },
      kind: 'denied',
      line: /role reader refused system:serviceaccount:default:default/,
    },
    {
      name: 'adapter error quotes the token and password',
      env: { FIXTURE_MODE: 'leak' },
      mint: { audience: 'fixture-audience' },
      kind: 'internal',
      line: /upstream echoed \[REDACTED\] and password \[REDACTED\]/,
    },
    {
      name: 'deadline',
      env: { FIXTURE_MODE: 'hang' },
      args: ['--timeout=500ms'],
      kind: 'deadline',
      line: /no credential within the 0\.5s deadline/,
    },
    { name: 'bad flag', args: ['--nope'], kind: 'usage', line: /Unknown option '--nope'/ },
  ] as const;

  it.each(cases)('$name', async (testCase) => {
    const token = 'mint' in testCase ? await issuer.mint(testCase.mint) : undefined;
    for (const verbosity of ['0', '9']) {
      const result = await runLikeKubelet({
        command: [...command, ...('args' in testCase ? testCase.args : []), `--v=${verbosity}`],
        image: IMAGE,
        env: { FIXTURE_PASSWORD: PASSWORD, ...('env' in testCase ? testCase.env : {}) },
        serviceAccountAnnotations: { 'fixture.test/role': 'reader' },
        ...(token ? { serviceAccountToken: token } : {}),
        ...('stdin' in testCase ? { stdin: testCase.stdin } : {}),
        timeoutMs: 10_000,
      });
      expect(result.exitCode).toBe(ERROR_KINDS[testCase.kind]);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      if (verbosity === '0') expect(lines).toHaveLength(1);
      expect(lines.find((line) => line.startsWith('E'))).toMatch(testCase.line);
      expect(result.stderr).not.toMatch(/\n\s+at |Error:/); // no stack trace
      for (const secret of [token, token?.split('.')[2], PASSWORD]) {
        if (secret) expect(result.stderr).not.toContain(secret);
      }
    }
  });
});

describe('the token is judged only on the path that exchanges it', () => {
  const ROLE = 'fixture.test/role';
  let calls: { serviceAccount: boolean }[] = [];
  // Exchanges the pod's token only for service accounts that name a role; the node answers the rest.
  const provider = defineProvider({
    name: 'exchanger',
    matchImages: ['*.fixture.test'],
    audience: 'fixture-audience',
    annotations: { optional: [ROLE] },
    exchangesToken: ({ request }) => request.serviceAccountAnnotations?.[ROLE] !== undefined,
    async getCredentials(ctx) {
      calls.push({ serviceAccount: ctx.serviceAccount !== undefined });
      return { username: ctx.serviceAccount?.identity.subject ?? 'node', password: 'p' };
    },
  });
  const everyRequest = defineProvider({ ...provider, name: 'every-request', exchangesToken: undefined });
  const noAudience = defineProvider({ ...provider, name: 'no-audience', audience: undefined });

  async function exec(chosen: typeof provider, token: string, annotations: Record<string, string>, v = 0) {
    calls = [];
    let stdout = '';
    let stderr = '';
    const request = encodeRequest({
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      image: IMAGE,
      serviceAccountToken: token,
      serviceAccountAnnotations: annotations,
    });
    const code = await runProvider(chosen, {
      argv: [`--v=${v}`],
      env: {},
      stdin: (async function* () {
        yield request;
      })(),
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    });
    const username = stdout ? JSON.parse(stdout).auth?.['registry.fixture.test']?.username : undefined;
    return { code, username, stderr, calls };
  }

  const tokens = {
    'another audience': () => issuer.mint({ audience: 'api://AKSIdentityBinding' }),
    expired: () => issuer.mint({ audience: 'fixture-audience', expiresInSeconds: -3600 }),
    'not a JWT': async () => 'not-a-jwt-at-all',
    'not a service account': () => issuer.mint({ audience: 'fixture-audience', claims: { sub: 'system:node:n1' } }),
  };

  it.each(Object.entries(tokens))('node path, token %s: ignored, the node answers', async (_, mint) => {
    const result = await exec(provider, await mint(), {});
    expect(result).toMatchObject({ code: 0, username: 'node', stderr: '', calls: [{ serviceAccount: false }] });
    const verbose = await exec(provider, await mint(), {}, 2);
    expect(verbose.stderr).toMatch(/service account token not used: the node identity answers this request/);
  });

  it.each(Object.entries(tokens))(
    'exchange path, token %s: refused before the provider runs (no network call)',
    async (_, mint) => {
      const result = await exec(provider, await mint(), { [ROLE]: 'reader' });
      expect(result.code).toBe(ERROR_KINDS.token);
      expect(result.calls).toEqual([]);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    },
  );

  it('exchange path, good token: the provider gets the checked service account', async () => {
    const token = await issuer.mint({ audience: 'fixture-audience', namespace: 'team', serviceAccount: 'puller' });
    const result = await exec(provider, token, { [ROLE]: 'reader' });
    expect(result).toMatchObject({ code: 0, username: 'system:serviceaccount:team:puller' });
    expect(result.calls).toEqual([{ serviceAccount: true }]);
  });

  it('no declaration: every request exchanges, so a token of another audience is refused', async () => {
    const result = await exec(everyRequest, await tokens['another audience'](), {});
    expect(result.code).toBe(ERROR_KINDS.token);
    expect(result.calls).toEqual([]);
  });

  it('no audience: the token is never used, whatever it is', async () => {
    const result = await exec(noAudience, 'not-a-jwt-at-all', { [ROLE]: 'reader' }, 2);
    expect(result).toMatchObject({ code: 0, username: 'node', calls: [{ serviceAccount: false }] });
    expect(result.stderr).toMatch(/service account token not used: this provider takes no token/);
  });
});

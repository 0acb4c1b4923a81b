/**
 * The whole exec, as a child process run exactly as the kubelet runs it, judged by the fake kubelet.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_KINDS } from '../../core/errors.ts';
import { runLikeKubelet } from '../../core/kubelet.ts';
import { encodeRequest } from '../../core/protocol.ts';
import { type Credential, defineProvider } from '../../core/provider.ts';
import { MAX_REQUEST_BYTES } from '../../core/run.ts';
import { type FakeIssuer, startFakeIssuer } from '../../core/testing/issuer.ts';
import { runInProcess } from '../support/in-process.ts';

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
    const request = encodeRequest({
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      image: IMAGE,
      serviceAccountToken: token,
      serviceAccountAnnotations: annotations,
    });
    const { code, stdout, stderr } = await runInProcess(chosen, { argv: [`--v=${v}`], env: {}, request });
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

describe("a credential's answer: other entries, its own cacheKeyType, an operator's cap", () => {
  const HOUR = 3600_000;
  async function answer(credential: Record<string, unknown>, token?: string) {
    const provider = defineProvider({
      name: 'answer-fixture',
      matchImages: ['*.fixture.test'],
      cacheType: 'ServiceAccount',
      getCredentials: async () => ({ username: 'u', password: 'main-password', ...credential }) as Credential,
    });
    const request = encodeRequest({
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      image: 'r.fixture.test/team/app',
      ...(token ? { serviceAccountToken: token } : {}),
    });
    const { code, stdout, stderr } = await runInProcess(provider, { argv: [], env: {}, request });
    return { code, stderr, response: stdout ? JSON.parse(stdout) : undefined };
  }

  it.each([
    {
      name: 'others are added under their keys; the first to claim a key keeps it',
      credential: {
        keys: ['r.fixture.test/team'],
        others: [
          { username: 'o', password: 'other-password', keys: ['r.fixture.test'] },
          { username: 'dup', password: 'dup-password', keys: ['r.fixture.test/team'] },
        ],
        cacheKeyType: 'Image',
      },
      auth: {
        'r.fixture.test/team': { username: 'u', password: 'main-password' },
        'r.fixture.test': { username: 'o', password: 'other-password' },
      },
      cacheKeyType: 'Image',
    },
    {
      name: 'a Registry answer may be covered by another entry',
      credential: {
        keys: ['r.fixture.test/team'],
        others: [{ username: 'o', password: 'p2', keys: ['r.fixture.test'] }],
      },
      auth: {
        'r.fixture.test/team': { username: 'u', password: 'main-password' },
        'r.fixture.test': { username: 'o', password: 'p2' },
      },
      cacheKeyType: 'Registry',
    },
    {
      name: 'its own cacheKeyType overrides the provider default',
      credential: { cacheKeyType: 'Global' },
      auth: { 'r.fixture.test': { username: 'u', password: 'main-password' } },
      cacheKeyType: 'Global',
    },
  ])('$name', async ({ credential, auth, cacheKeyType }) => {
    const run = await answer(credential);
    expect(run.code, run.stderr).toBe(0);
    expect(run.response.auth).toEqual(auth);
    expect(run.response.cacheKeyType).toBe(cacheKeyType);
  });

  it.each([
    {
      name: 'a cap below the expiry wins',
      credential: { expiresAt: new Date(Date.now() + HOUR), cacheSecondsAtMost: 90 },
      duration: '1m30s',
    },
    {
      name: 'a cap above the expiry does not extend it',
      credential: { expiresAt: new Date(Date.now() + HOUR), cacheSecondsAtMost: 7200 },
      duration: /^5\dm\d+s$/,
    },
    {
      name: 'a cap of 0: not cached',
      credential: { expiresAt: new Date(Date.now() + HOUR), cacheSecondsAtMost: 0 },
      duration: '0s',
    },
    {
      name: 'caps an unknown expiry too',
      credential: { unknownExpirySeconds: 600, cacheSecondsAtMost: 60 },
      duration: '1m0s',
    },
  ])('$name', async ({ credential, duration }) => {
    const run = await answer(credential);
    expect(run.code, run.stderr).toBe(0);
    if (typeof duration === 'string') expect(run.response.cacheDuration).toBe(duration);
    else expect(run.response.cacheDuration).toMatch(duration);
  });

  it.each([
    {
      name: 'a Registry answer with only path keys',
      credential: { keys: ['r.fixture.test/team'] },
      error: 'no auth key covers every image on r.fixture.test',
    },
    {
      name: 'no key of any entry matches the image',
      credential: {
        keys: ['other.fixture.test'],
        others: [{ username: 'o', password: 'p2', keys: ['r.fixture.test/else'] }],
      },
      error: 'no auth key of answer-fixture matches image r.fixture.test/team/app',
    },
  ])('refuses $name', async ({ credential, error }) => {
    const run = await answer(credential);
    expect(run.code).toBe(ERROR_KINDS.internal);
    expect(run.stderr).toContain(error);
    expect(run.response).toBeUndefined();
  });

  it("refuses another entry whose password is the pod's token", async () => {
    const token = await issuer.mint({ audience: 'x', namespace: 'team', serviceAccount: 'puller' });
    const run = await answer({ others: [{ username: 'o', password: token, keys: ['r.fixture.test'] }] }, token);
    expect(run.code).toBe(ERROR_KINDS.internal);
    expect(run.stderr).toContain('returned the service account token as the password');
    expect(run.stderr).not.toContain(token);
  });
});

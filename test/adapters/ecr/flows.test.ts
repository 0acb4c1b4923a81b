/**
 * Service account flows against the strict fakes, in process: STS verifies the token against the
 * issuer and the role's trust entry, ECR verifies the SigV4 signature made with STS's session
 * credentials. Round trips, retries, refusals and cache hints, each a table row.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsJsonError, stsError } from '../../../adapters/ecr/fake/index.ts';
import { ROLE_ANNOTATION } from '../../../adapters/ecr/index.ts';
import { ERROR_KINDS } from '../../../core/index.ts';
import { type EcrWorld, invoke, ROLE_A, ROLE_B, SUBJECT_A, startEcrWorld } from './world.ts';

const ROLE_NO_ECR = 'arn:aws:iam::123456789012:role/no-ecr';
let ecr: EcrWorld;
let image: string;

beforeAll(async () => {
  ecr = await startEcrWorld({
    roles: {
      [ROLE_A]: { subjects: [SUBJECT_A] },
      [ROLE_B]: { subjects: ['system:serviceaccount:team-b:puller'] },
      [ROLE_NO_ECR]: { subjects: [SUBJECT_A], canGetAuthorizationToken: false },
    },
  });
  image = `${ecr.aws.registryHost('us-west-2')}/team-a/app`;
});
afterAll(() => ecr.close());
beforeEach(() => {
  for (const server of [ecr.aws.sts, ecr.aws.ecr, ecr.aws.ecrPublic, ecr.aws.imds]) {
    server.resetCalls();
    server.faults.clear();
  }
});

const asA = async (role = ROLE_A) => ({
  token: await ecr.mint('team-a', 'puller'),
  annotations: { [ROLE_ANNOTATION]: role },
});

describe('service account token → STS → ECR', () => {
  it('answers with the role credentials in two round trips', async () => {
    const sa = await asA();
    const result = await invoke(ecr, { image, ...sa, args: ['--v=10'] });
    expect(result.stderr.split('\n').filter((l) => l.startsWith('E'))).toEqual([]);
    expect(result.exitCode).toBe(0);
    const auth = result.response?.auth?.[ecr.aws.registryHost('us-west-2')];
    expect(auth?.username).toBe('AWS');
    expect(ecr.aws.principalOf(auth?.password ?? '')).toBe(`assumed-role:${ROLE_A}`);
    expect({ sts: ecr.aws.sts.calls(), ecr: ecr.aws.ecr.calls(), imds: ecr.aws.imds.calls() }).toEqual({
      sts: 1,
      ecr: 1,
      imds: 0,
    });
    const stsCall = new URLSearchParams(ecr.aws.sts.requests[0]?.body);
    expect(stsCall.get('RoleSessionName')).toBe('ecr-credential-provider');
    expect(stsCall.get('RoleArn')).toBe(ROLE_A);
    expect(stsCall.get('WebIdentityToken')).toBe(sa.token);
    // ECR saw the STS session: its key id in the scope, its session token in the header.
    const signed = ecr.aws.ecr.requests[0];
    expect(signed?.headers.authorization).toMatch(/Credential=ASIA[0-9A-F]+\/\d{8}\/us-west-2\/ecr\/aws4_request/);
    expect(signed?.headers['x-amz-security-token']).toBeTruthy();
    expect(result.stderr).not.toContain(sa.token);
    expect(result.stderr).not.toContain(auth?.password);
  });

  it.each([
    {
      name: 'ECR Public',
      host: 'public.ecr.aws',
      server: 'ecrPublic' as const,
      stsHost: 'sts.us-east-1.amazonaws.com',
    },
    {
      name: 'ECR Public dual-stack',
      host: 'ecr-public.aws.com',
      server: 'ecrPublic' as const,
      stsHost: 'sts.us-east-1.amazonaws.com',
    },
    {
      name: 'another region',
      host: ecrHost('us-east-1'),
      server: 'ecr' as const,
      stsHost: 'sts.us-east-1.amazonaws.com',
    },
  ])('$name: STS and GetAuthorizationToken in the right region', async ({ host, server, stsHost }) => {
    const result = await invoke(ecr, { image: `${host}/eks/pause:3.9`, ...(await asA()) });
    expect(result.exitCode).toBe(0);
    expect(Object.keys(result.response?.auth ?? {})).toEqual([host]);
    expect(ecr.aws[server].calls('GetAuthorizationToken')).toBe(1);
    expect(ecr.aws.sts.requests[0]?.host).toBe(stsHost);
  });

  it('keeps the port in the auth key', async () => {
    const result = await invoke(ecr, {
      image: `${ecr.aws.registryHost('us-west-2')}:443/team-a/app`,
      ...(await asA()),
    });
    expect(Object.keys(result.response?.auth ?? {})).toEqual([`${ecr.aws.registryHost('us-west-2')}:443`]);
  });

  it('uses AWS_ECR_ROLE_ARN when the annotation is absent', async () => {
    const token = await ecr.mint('team-a', 'puller');
    const result = await invoke(ecr, { image, token, env: { AWS_ECR_ROLE_ARN: ROLE_A } });
    expect(result.exitCode).toBe(0);
    expect(new URLSearchParams(ecr.aws.sts.requests[0]?.body).get('RoleArn')).toBe(ROLE_A);
  });
});

function ecrHost(region: string): string {
  return `123456789012.dkr.ecr.${region}.amazonaws.com`;
}

describe('refusals: one line, the right exit code, no secret', () => {
  it.each([
    {
      name: 'wrong audience: refused before STS',
      request: async () => ({
        token: await ecr.mint('team-a', 'puller', { audience: 'api://AzureADTokenExchange' }),
        annotations: { [ROLE_ANNOTATION]: ROLE_A },
      }),
      kind: 'token',
      says: ['this provider expects sts.amazonaws.com', 'serviceAccountTokenAudience'],
      calls: { sts: 0, ecr: 0 },
    },
    {
      name: 'expired token: refused before STS',
      request: async () => ({
        token: await ecr.mint('team-a', 'puller', { expiresInSeconds: -120 }),
        annotations: { [ROLE_ANNOTATION]: ROLE_A },
      }),
      kind: 'token',
      says: [`the service account token of ${SUBJECT_A} expired`],
      calls: { sts: 0, ecr: 0 },
    },
    {
      name: 'a role that does not trust this service account: STS AccessDenied',
      request: async () => asA(ROLE_B),
      kind: 'denied',
      says: ['failed to assume role', ROLE_B, SUBJECT_A, 'AccessDenied', 'trust policy'],
      calls: { sts: 1, ecr: 0 },
    },
    {
      name: 'a role ECR refuses',
      request: async () => asA(ROLE_NO_ECR),
      kind: 'denied',
      says: [
        'ECR GetAuthorizationToken in us-west-2',
        ROLE_NO_ECR,
        'AccessDeniedException',
        'grant ecr:GetAuthorizationToken',
      ],
      calls: { sts: 1, ecr: 1 },
    },
    {
      name: 'a malformed role ARN: refused before STS',
      request: async () => ({
        token: await ecr.mint('team-a', 'puller'),
        annotations: { [ROLE_ANNOTATION]: 'team-a-puller' },
      }),
      kind: 'usage',
      says: ['not an IAM role ARN'],
      calls: { sts: 0, ecr: 0 },
    },
    {
      name: 'no role with --require-role',
      request: async () => ({ token: await ecr.mint('team-a', 'puller'), args: ['--require-role'] }),
      kind: 'usage',
      says: [`service account ${SUBJECT_A} names no role`, 'eks.amazonaws.com/ecr-role-arn'],
      calls: { sts: 0, ecr: 0 },
    },
  ])('$name', async ({ request, kind, says, calls }) => {
    const sent = await request();
    const result = await invoke(ecr, { image, ...sent, args: [...(('args' in sent && sent.args) || []), '--v=10'] });
    expect(result.exitCode).toBe(ERROR_KINDS[kind as keyof typeof ERROR_KINDS]);
    expect(result.stdout).toBe('');
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('E'));
    expect(errors).toHaveLength(1);
    for (const text of says) expect(errors[0]).toContain(text);
    expect({ sts: ecr.aws.sts.calls(), ecr: ecr.aws.ecr.calls() }).toEqual(calls);
    expect(result.stderr).not.toContain(sent.token);
    expect(result.stderr).not.toContain(sent.token.split('.')[2]);
  });
});

describe('STS refusals a node cannot foresee', () => {
  it.each([
    {
      name: 'no OIDC provider for the issuer',
      code: 'InvalidIdentityToken',
      kind: 'denied',
      says: 'create an IAM OIDC identity provider for https://oidc.credkit.test',
    },
    {
      name: 'STS says the token expired (node clock behind)',
      code: 'ExpiredTokenException',
      kind: 'token',
      says: 'node clock',
    },
    {
      name: 'STS not activated in the region',
      code: 'RegionDisabledException',
      kind: 'usage',
      says: 'activate STS in us-west-2',
    },
  ])('$name', async ({ code, kind, says }) => {
    ecr.aws.sts.faults.push('AssumeRoleWithWebIdentity', stsError(400, code, 'the cloud message'));
    const sa = await asA();
    const result = await invoke(ecr, { image, ...sa });
    expect(result.exitCode).toBe(ERROR_KINDS[kind as keyof typeof ERROR_KINDS]);
    expect(result.stderr).toContain(`failed to assume role ${ROLE_A} for ${SUBJECT_A}`);
    expect(result.stderr).toContain(says);
    expect(ecr.aws.sts.calls()).toBe(1);
    expect(result.stderr).not.toContain(sa.token);
  });
});

describe('retries within the deadline', () => {
  const throttled = awsJsonError(400, 'ThrottlingException', 'Rate exceeded');
  it.each([
    {
      name: 'three ECR throttles, then success',
      server: 'ecr' as const,
      endpoint: 'GetAuthorizationToken',
      fault: throttled,
      times: 3,
      exitCode: 0,
      calls: 4,
    },
    {
      name: 'three ECR 500s, then success',
      server: 'ecr' as const,
      endpoint: 'GetAuthorizationToken',
      fault: awsJsonError(500, 'ServerException', 'oops'),
      times: 3,
      exitCode: 0,
      calls: 4,
    },
    {
      name: 'three STS throttles, then success',
      server: 'sts' as const,
      endpoint: 'AssumeRoleWithWebIdentity',
      fault: stsError(400, 'Throttling', 'Rate exceeded'),
      times: 3,
      exitCode: 0,
      calls: 4,
    },
    {
      name: 'a 503 from a load balancer (HTML), then success',
      server: 'ecr' as const,
      endpoint: 'GetAuthorizationToken',
      fault: { status: 503, body: '<html>busy</html>' },
      times: 1,
      exitCode: 0,
      calls: 2,
    },
    {
      name: 'a proxy 502 with no AWS error, forever: unavailable, said plainly',
      server: 'ecr' as const,
      endpoint: 'GetAuthorizationToken',
      fault: { status: 502, body: '' },
      times: 10,
      exitCode: ERROR_KINDS.unavailable,
      calls: 5,
    },
    {
      name: 'ECR 500 forever: unavailable after 5 attempts',
      server: 'ecr' as const,
      endpoint: 'GetAuthorizationToken',
      fault: awsJsonError(500, 'ServerException', 'oops'),
      times: 10,
      exitCode: ERROR_KINDS.unavailable,
      calls: 5,
    },
    {
      name: 'STS 503 forever: unavailable after 5 attempts',
      server: 'sts' as const,
      endpoint: 'AssumeRoleWithWebIdentity',
      fault: stsError(503, 'ServiceUnavailable', 'down'),
      times: 10,
      exitCode: ERROR_KINDS.unavailable,
      calls: 5,
    },
  ])('$name', async ({ server, endpoint, fault, times, exitCode, calls }) => {
    ecr.aws[server].faults.push(endpoint, fault, times);
    const result = await invoke(ecr, { image, ...(await asA()) });
    expect(result.exitCode).toBe(exitCode);
    expect(ecr.aws[server].calls(endpoint)).toBe(calls);
    // Full-jitter backoff of at most 0.2+0.4+0.8+1.6 s: far inside the kubelet's 60 s.
    expect(result.durationMs).toBeLessThan(10_000);
    if (exitCode !== 0)
      expect(result.stderr).toMatch(
        /E.*(ThrottlingException|ServerException|ServiceUnavailable|HTTP 502 without an AWS error)/,
      );
  });

  it('a hung ECR ends at --timeout with a deadline error', async () => {
    ecr.aws.ecr.faults.push('GetAuthorizationToken', { delayMs: 4_000 }, 1);
    const result = await invoke(ecr, { image, ...(await asA()), args: ['--timeout=1500ms'] });
    expect(result.exitCode).toBe(ERROR_KINDS.deadline);
    expect(result.durationMs).toBeGreaterThan(1_400);
    expect(result.durationMs).toBeLessThan(3_000);
  });
});

describe("cache hints: the ECR token lifetime less a 5 minute margin, not upstream's half", () => {
  it.each([
    { name: 'default 1 h STS session caps the ECR token', sessionSeconds: 3600, expected: 55 * 60 },
    {
      name: "12 h session: the ECR token's own 12 h (upstream: 6h0m0s)",
      sessionSeconds: 12 * 3600,
      expected: 11 * 3600 + 55 * 60,
    },
    { name: '15 min session', sessionSeconds: 900, expected: 10 * 60 },
    { name: 'a session shorter than the margin: do not cache', sessionSeconds: 330, expected: 0 },
  ])('$name', async ({ sessionSeconds, expected }) => {
    const world = await startEcrWorld({ sessionSeconds, regions: ['us-west-2'] });
    try {
      const token = await world.mint('team-a', 'puller', { expiresInSeconds: 600 });
      const result = await invoke(world, {
        image: `${world.aws.registryHost()}/app`,
        token,
        annotations: { [ROLE_ANNOTATION]: ROLE_A },
      });
      expect(result.exitCode).toBe(0);
      const seconds = toSeconds(result.response?.cacheDuration ?? '');
      // cacheType ServiceAccount: not bounded by the pod token's 10 minutes.
      expect(seconds).toBeGreaterThanOrEqual(expected - 3);
      expect(seconds).toBeLessThanOrEqual(expected);
    } finally {
      await world.close();
    }
  });

  it.each([
    {
      name: 'no expiresAt (upstream: 0s)',
      data: { authorizationToken: Buffer.from('AWS:pw-123456').toString('base64') },
      duration: '0s',
    },
    {
      name: 'already expired',
      data: { authorizationToken: Buffer.from('AWS:pw-123456').toString('base64'), expiresAt: Date.now() / 1000 - 10 },
      duration: '0s',
    },
    {
      name: 'one second left (upstream omits the field: kubelet default)',
      data: { authorizationToken: Buffer.from('AWS:pw-123456').toString('base64'), expiresAt: Date.now() / 1000 + 1 },
      duration: '0s',
    },
  ])('$name → $duration', async ({ data, duration }) => {
    ecr.aws.ecr.faults.push('GetAuthorizationToken', answer({ authorizationData: [data] }));
    const result = await invoke(ecr, { image, ...(await asA()) });
    expect(result.exitCode).toBe(0);
    expect(result.response?.cacheDuration).toBe(duration);
  });
});

describe('--session-duration: the role session STS grants, and so the cache (issue: fewer execs)', () => {
  const ROLE_12H = 'arn:aws:iam::123456789012:role/team-a-12h';
  const ROLE_4H = 'arn:aws:iam::123456789012:role/team-a-4h';
  let world: EcrWorld;
  beforeAll(async () => {
    world = await startEcrWorld({
      regions: ['us-west-2'],
      roles: {
        [ROLE_A]: { subjects: [SUBJECT_A] },
        [ROLE_4H]: { subjects: [SUBJECT_A], maxSessionSeconds: 4 * 3600 },
        [ROLE_12H]: { subjects: [SUBJECT_A], maxSessionSeconds: 12 * 3600 },
      },
    });
  });
  afterAll(() => world.close());

  it.each([
    { name: 'no flag: no DurationSeconds (upstream), 1 h', role: ROLE_A, args: [], sent: [null], cache: 55 * 60 },
    {
      name: '12h on a role that allows 12 h',
      role: ROLE_12H,
      args: ['--session-duration=12h'],
      sent: ['43200'],
      cache: 11 * 3600 + 55 * 60,
    },
    {
      name: '4h on a 4 h role',
      role: ROLE_4H,
      args: ['--session-duration', '4h'],
      sent: ['14400'],
      cache: 3 * 3600 + 55 * 60,
    },
    {
      name: '2h on a 12 h role',
      role: ROLE_12H,
      args: ['--session-duration=2h'],
      sent: ['7200'],
      cache: 3600 + 55 * 60,
    },
    {
      name: "12h on a 1 h role: refused once, then STS's default",
      role: ROLE_A,
      args: ['--session-duration=12h'],
      sent: ['43200', null],
      cache: 55 * 60,
      says: `role ${ROLE_A} allows no 12h0m0s session`,
    },
    {
      name: '12h on a 4 h role: the default, not a guess at the maximum',
      role: ROLE_4H,
      args: ['--session-duration=12h'],
      sent: ['43200', null],
      cache: 55 * 60,
      says: "raise the role's MaxSessionDuration or lower --session-duration",
    },
  ])('$name', async ({ role, args, sent, cache, says }) => {
    world.aws.sts.resetCalls();
    const request = { image: `${world.aws.registryHost()}/app`, token: await world.mint('team-a', 'puller') };
    for (const verbosity of ['--v=0', '--v=1']) {
      world.aws.sts.resetCalls();
      const result = await invoke(world, {
        ...request,
        annotations: { [ROLE_ANNOTATION]: role },
        args: [...args, verbosity],
      });
      expect(result.exitCode, result.stderr).toBe(0);
      const durations = world.aws.sts.requests.map((req) => new URLSearchParams(req.body).get('DurationSeconds'));
      expect(durations).toEqual(sent);
      const seconds = toSeconds(result.response?.cacheDuration ?? '');
      expect(seconds).toBeGreaterThanOrEqual(cache - 3);
      expect(seconds).toBeLessThanOrEqual(cache);
      // The fallback is said at --v=1 and only there; the answer is good either way.
      if (says && verbosity === '--v=1') expect(result.stderr).toContain(says);
      else expect(result.stderr).toBe('');
    }
  });

  it.each([
    { name: 'below 15 minutes', value: '10m' },
    { name: 'above 12 hours', value: '24h' },
    { name: 'not a duration', value: '12' },
  ])('refuses $name before STS (exit 2), on the node path too', async ({ value }) => {
    world.aws.sts.resetCalls();
    world.aws.imds.resetCalls();
    const image = `${world.aws.registryHost()}/app`;
    const token = await world.mint('team-a', 'puller');
    for (const request of [{ image, token, annotations: { [ROLE_ANNOTATION]: ROLE_A } }, { image }]) {
      const result = await invoke(world, { ...request, args: [`--session-duration=${value}`] });
      expect(result.exitCode).toBe(ERROR_KINDS.usage);
      expect(result.stderr).toContain('--session-duration');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(world.aws.sts.calls() + world.aws.imds.calls()).toBe(0);
  });
});

describe('malformed ECR answers (upstream Test_GetCredentials_Private / _Public error rows)', () => {
  it.each([
    {
      name: 'empty authorization data',
      server: 'ecr' as const,
      body: { authorizationData: [] },
      says: 'authorization data was empty',
    },
    { name: 'no authorization data', server: 'ecr' as const, body: {}, says: 'authorization data was empty' },
    {
      name: 'empty authorization token',
      server: 'ecr' as const,
      body: { authorizationData: [{}] },
      says: 'authorization token in response was nil',
    },
    {
      name: 'invalid authorization token',
      server: 'ecr' as const,
      body: { authorizationData: [{ authorizationToken: Buffer.from('foo').toString('base64') }] },
      says: 'error parsing username and password from authorization token',
    },
    {
      name: 'public: no authorization data',
      server: 'ecrPublic' as const,
      body: {},
      says: 'authorization data was empty',
    },
    {
      name: 'public: empty authorization token',
      server: 'ecrPublic' as const,
      body: { authorizationData: {} },
      says: 'authorization token in response was nil',
    },
    {
      name: 'public: invalid authorization token',
      server: 'ecrPublic' as const,
      body: { authorizationData: { authorizationToken: Buffer.from('foo').toString('base64') } },
      says: 'error parsing username and password from authorization token',
    },
  ])('$name', async ({ server, body, says }) => {
    ecr.aws[server].faults.push('GetAuthorizationToken', answer(body));
    const target = server === 'ecrPublic' ? 'public.ecr.aws/eks/pause' : image;
    const result = await invoke(ecr, { image: target, ...(await asA()) });
    expect(result.exitCode).toBe(ERROR_KINDS.unavailable);
    expect(result.stderr).toContain(says);
    expect(result.stdout).toBe('');
  });
});

function answer(body: unknown) {
  return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(body) };
}

function toSeconds(duration: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  if (!match) throw new Error(`unexpected duration ${duration}`);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/**
 * credkit-ecr end to end: the binary exec-ed exactly as the kubelet execs it, real AWS hostnames
 * through the CONNECT proxy and the test CA, strict fakes behind them, the answer judged by the fake
 * kubelet, and the credential then used by a real registry client (skopeo).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsJsonError, ecrHandler, ecrLabel } from '../../../adapters/ecr/fake/index.ts';
import { ROLE_ANNOTATION } from '../../../adapters/ecr/index.ts';
import { ERROR_KINDS } from '../../../core/index.ts';
import {
  type FakeServer,
  skopeoInspect as inspectWithSkopeo,
  type KubeletResult,
} from '../../../core/testing/index.ts';
import { type EcrWorld, ROLE_A, ROLE_B, SUBJECT_A, SUBJECT_B, startEcrWorld } from './world.ts';

const REGIONS = ['us-west-2', 'us-east-1', 'cn-north-1', 'us-gov-west-1', 'eusc-de-east-1', 'us-iso-east-1'];
/** IRSA for the provider process itself (AWS_WEB_IDENTITY_TOKEN_FILE), a node-identity source. */
const ROLE_NODE = 'arn:aws:iam::123456789012:role/node-puller';
const SUBJECT_NODE = 'system:serviceaccount:kube-system:ecr-node';
/** IRSA's annotation, a role only with --irsa-role-annotation. */
const IRSA = 'eks.amazonaws.com/role-arn';
/** A role whose MaxSessionDuration allows --session-duration=12h. */
const ROLE_12H = 'arn:aws:iam::123456789012:role/team-a-12h';
let ecr: EcrWorld;
let host: string;
let vpce: FakeServer;

beforeAll(async () => {
  ecr = await startEcrWorld({
    regions: REGIONS,
    roles: {
      [ROLE_A]: { subjects: [SUBJECT_A] },
      [ROLE_B]: { subjects: [SUBJECT_B] },
      [ROLE_NODE]: { subjects: [SUBJECT_NODE] },
      [ROLE_12H]: { subjects: [SUBJECT_A], maxSessionSeconds: 12 * 3600 },
    },
    // The registries' repository policies: each team's role reads only its own repositories.
    canPull: (principal, repository) => {
      if (principal === `assumed-role:${ROLE_A}`) return repository.startsWith('team-a/');
      if (principal === `assumed-role:${ROLE_B}`) return repository.startsWith('team-b/');
      return true;
    },
  });
  host = ecr.aws.registryHost('us-west-2');
  // A VPC endpoint name for ECR, for AWS_ENDPOINT_URL_ECR.
  vpce = await ecr.world.serve(
    ['vpce.ecr.credkit.test'],
    ecrHandler({
      iam: ecr.aws.iam,
      kind: 'private',
      regionOf: () => 'us-west-2',
      registryFor: () => `https://${host}`,
    }),
    { label: ecrLabel, name: 'ecr-vpce' },
  );
  ecr.world.route('metadata.credkit.test', 80, ecr.aws.imds.port);
});
afterAll(() => ecr.close());
beforeEach(() => {
  for (const server of [ecr.aws.sts, ecr.aws.ecr, ecr.aws.ecrPublic, ecr.aws.imds, ecr.aws.registry, vpce]) {
    server.resetCalls();
    server.faults.clear();
  }
});

/** Every secret the fakes ever handed out, plus what the test sent: none may reach stderr. */
function leaks(result: KubeletResult, sent: string[] = []): string[] {
  const secrets = [
    ...sent,
    ...[...ecr.aws.iam.keys.values()].flatMap((key) => [key.secretAccessKey, key.sessionToken ?? '']),
    ...ecr.aws.iam.issued.map((issued) => issued.password),
  ].filter((secret) => secret.length >= 8);
  const visible = result.exitCode === 0 ? result.stderr : result.stdout + result.stderr;
  return secrets.filter((secret) => visible.includes(secret) || visible.includes(secret.split('.').pop() ?? secret));
}

function passwordOf(result: KubeletResult, key = host): string {
  const password = result.response?.auth?.[key]?.password;
  if (!password) throw new Error(`no password for ${key}: ${result.stderr}`);
  return password;
}

async function skopeoInspect(reference: string, password: string): Promise<{ ok: boolean; output: string }> {
  const result = await inspectWithSkopeo(ecr.world, reference, { username: 'AWS', password });
  return { ok: result.ok, output: result.ok ? JSON.stringify(result.manifest) : (result.error ?? '') };
}

const calls = () => ({
  sts: ecr.aws.sts.calls(),
  ecr: ecr.aws.ecr.calls() + ecr.aws.ecrPublic.calls(),
  imds: ecr.aws.imds.calls(),
});

describe('node identity', () => {
  it('IMDSv2 → GetAuthorizationToken: one ECR round trip plus three to IMDS; skopeo pulls with the answer', async () => {
    const result = await ecr.run({ image: `${host}/team-a/app`, args: ['--v=10'] });
    expect(result.verdict).toMatchObject({ valid: true, reasons: [], cacheKey: host, matchingKeys: [host] });
    expect(result.response?.auth?.[host]?.username).toBe('AWS');
    expect(calls()).toEqual({ sts: 0, ecr: 1, imds: 3 });
    expect(ecr.aws.imds.calls('token')).toBe(1);
    expect(ecr.aws.principalOf(passwordOf(result))).toBe('instance-role:eks-node');
    // The instance credentials live 6 h, so the ECR token does too; cache until 5 min before.
    expect(result.verdict.cacheSeconds).toBeGreaterThan(6 * 3600 - 5 * 60 - 10);
    expect(result.verdict.cacheSeconds).toBeLessThanOrEqual(6 * 3600 - 5 * 60);
    expect(leaks(result)).toEqual([]);

    const pulled = await skopeoInspect(`${host}/team-a/app:latest`, passwordOf(result));
    expect(JSON.parse(pulled.output)).toMatchObject({
      Name: '123456789012.dkr.ecr.us-west-2.amazonaws.com/team-a/app',
    });
    expect(pulled.ok).toBe(true);
    expect(ecr.aws.registry.calls('manifests')).toBeGreaterThan(0);
    const refused = await skopeoInspect(`${host}/team-a/app:latest`, 'not-a-password-ecr-issued');
    expect(refused.ok).toBe(false);
  });

  it.each([
    {
      name: 'static keys in the environment: no IMDS',
      setup: () => {
        const key = ecr.aws.staticKey('user/node');
        return { AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey };
      },
      principal: 'user/node',
      imds: 0,
    },
    {
      name: 'a profile in the shared credentials file (AWS_PROFILE)',
      setup: () => {
        const key = ecr.aws.staticKey('user/profile');
        const dir = join(ecr.env.HOME ?? '', 'profile-test');
        mkdirSync(dir, { recursive: true });
        const file = join(dir, 'credentials');
        writeFileSync(
          file,
          `[puller]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`,
        );
        return { AWS_PROFILE: 'puller', AWS_SHARED_CREDENTIALS_FILE: file };
      },
      principal: 'user/profile',
      imds: 0,
    },
    {
      name: 'a web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN): STS through the proxy',
      setup: async () => {
        const file = join(ecr.env.HOME ?? '', 'web-identity-token');
        writeFileSync(file, await ecr.mint('kube-system', 'ecr-node'));
        return { AWS_WEB_IDENTITY_TOKEN_FILE: file, AWS_ROLE_ARN: ROLE_NODE };
      },
      principal: `assumed-role:${ROLE_NODE}`,
      imds: 0,
      sts: 1,
    },
    {
      name: 'IMDS at AWS_EC2_METADATA_SERVICE_ENDPOINT',
      setup: () => ({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://metadata.credkit.test' }),
      principal: 'instance-role:eks-node',
      imds: 3,
    },
  ] as Array<{
    name: string;
    setup: () => Record<string, string> | Promise<Record<string, string>>;
    principal: string;
    imds: number;
    sts?: number;
  }>)('$name', async ({ setup, principal, imds, sts = 0 }) => {
    const result = await ecr.run({ image: `${host}/team-a/app`, env: await setup() });
    expect(result.verdict.valid).toBe(true);
    expect(ecr.aws.principalOf(passwordOf(result))).toBe(principal);
    expect(calls()).toEqual({ sts, ecr: 1, imds });
  });

  it.each([
    {
      region: 'cn-north-1',
      image: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app',
      api: 'api.ecr.cn-north-1.amazonaws.com.cn',
    },
    {
      region: 'us-gov-west-1 (FIPS host, regional API as upstream)',
      image: '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app',
      api: 'api.ecr.us-gov-west-1.amazonaws.com',
    },
    {
      region: 'eusc-de-east-1',
      image: '123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu/app',
      api: 'api.ecr.eusc-de-east-1.amazonaws.eu',
    },
    {
      region: 'us-iso-east-1',
      image: '123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov/app',
      api: 'api.ecr.us-iso-east-1.c2s.ic.gov',
    },
    {
      region: 'dual-stack us-west-2',
      image: '123456789012.dkr-ecr.us-west-2.on.aws/app',
      api: 'api.ecr.us-west-2.amazonaws.com',
    },
  ])('partition: $region', async ({ image, api }) => {
    const result = await ecr.run({ image });
    expect(result.verdict.valid).toBe(true);
    expect(ecr.aws.ecr.requests.map((req) => req.host)).toEqual([api]);
    expect(result.verdict.matchingKeys).toEqual([image.split('/')[0]]);
  });

  it('ECR Public through the node identity', async () => {
    const result = await ecr.run({ image: 'public.ecr.aws/eks/pause:3.9' });
    expect(result.verdict).toMatchObject({ valid: true, matchingKeys: ['public.ecr.aws'] });
    expect(ecr.aws.ecrPublic.requests[0]?.headers.authorization).toMatch(/\/us-east-1\/ecr-public\/aws4_request/);
    const pulled = await skopeoInspect('public.ecr.aws/eks/pause:3.9', passwordOf(result, 'public.ecr.aws'));
    expect(pulled.ok).toBe(true);
  });

  it('AWS_ENDPOINT_URL_ECR sends GetAuthorizationToken to that endpoint', async () => {
    const result = await ecr.run({
      image: `${host}/team-a/app`,
      env: { AWS_ENDPOINT_URL_ECR: 'https://vpce.ecr.credkit.test' },
    });
    expect(result.verdict.valid).toBe(true);
    expect({ vpce: vpce.calls('GetAuthorizationToken'), regional: ecr.aws.ecr.calls() }).toEqual({
      vpce: 1,
      regional: 0,
    });
  });
});

describe('service account tokens', () => {
  it('SA token → STS → ECR in two round trips; two service accounts get their own roles and repositories', async () => {
    const tokenA = await ecr.mint('team-a', 'puller');
    const tokenB = await ecr.mint('team-b', 'puller');
    const runAs = (token: string, role: string) =>
      ecr.run({
        image: `${host}/team-a/app`,
        serviceAccountToken: token,
        serviceAccountAnnotations: { [ROLE_ANNOTATION]: role },
        cacheType: 'ServiceAccount',
        args: ['--v=10'],
      });
    const a = await runAs(tokenA, ROLE_A);
    expect(a.verdict).toMatchObject({ valid: true, reasons: [], cacheKey: host, matchingKeys: [host] });
    expect(calls()).toEqual({ sts: 1, ecr: 1, imds: 0 });
    expect(ecr.world.proxy.count('sts.us-west-2.amazonaws.com')).toBeGreaterThanOrEqual(1);
    const b = await runAs(tokenB, ROLE_B);
    expect(b.verdict.valid).toBe(true);

    const [passwordA, passwordB] = [passwordOf(a), passwordOf(b)];
    expect(passwordA).not.toBe(passwordB);
    expect(ecr.aws.principalOf(passwordA)).toBe(`assumed-role:${ROLE_A}`);
    expect(ecr.aws.principalOf(passwordB)).toBe(`assumed-role:${ROLE_B}`);
    expect(leaks(a, [tokenA])).toEqual([]);
    expect(leaks(b, [tokenB])).toEqual([]);

    expect((await skopeoInspect(`${host}/team-a/app:latest`, passwordA)).ok).toBe(true);
    expect((await skopeoInspect(`${host}/team-a/app:latest`, passwordB)).ok).toBe(false);
    expect((await skopeoInspect(`${host}/team-b/app:latest`, passwordB)).ok).toBe(true);
  });

  it('AWS_STS_REGIONAL_ENDPOINTS=legacy sends AssumeRoleWithWebIdentity to the global endpoint', async () => {
    const result = await ecr.run({
      image: `${host}/team-a/app`,
      serviceAccountToken: await ecr.mint('team-a', 'puller'),
      serviceAccountAnnotations: { [ROLE_ANNOTATION]: ROLE_A },
      cacheType: 'ServiceAccount',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' },
    });
    expect(result.verdict.valid).toBe(true);
    expect(ecr.aws.sts.requests.map((req) => req.host)).toEqual(['sts.amazonaws.com']);
  });

  it.each([
    {
      name: '12h on a role that allows it: cached 11h55m',
      role: ROLE_12H,
      sts: 1,
      cache: 11 * 3600 + 55 * 60,
      says: '',
    },
    {
      name: '12h on a 1 h role: once more without DurationSeconds, said at --v=1, cached 55m',
      role: ROLE_A,
      sts: 2,
      cache: 55 * 60,
      says: `role ${ROLE_A} allows no 12h0m0s session`,
    },
  ])('--session-duration=12h: $name', async ({ role, sts, cache, says }) => {
    const token = await ecr.mint('team-a', 'puller');
    const result = await ecr.run({
      image: `${host}/team-a/app`,
      serviceAccountToken: token,
      serviceAccountAnnotations: { [ROLE_ANNOTATION]: role },
      cacheType: 'ServiceAccount',
      args: ['--session-duration=12h', '--v=1'],
    });
    expect(result.verdict).toMatchObject({ valid: true, reasons: [] });
    expect(calls()).toEqual({ sts, ecr: 1, imds: 0 });
    expect(result.verdict.cacheSeconds).toBeGreaterThan(cache - 10);
    expect(result.verdict.cacheSeconds).toBeLessThanOrEqual(cache);
    if (says) expect(result.stderr).toContain(says);
    else expect(result.stderr).not.toContain('allows no');
    expect(leaks(result, [token])).toEqual([]);
    expect((await skopeoInspect(`${host}/team-a/app:latest`, passwordOf(result))).ok).toBe(true);
  });

  it.each([
    {
      name: 'three ECR throttles, then success',
      times: 3,
      status: 400,
      type: 'ThrottlingException',
      exitCode: 0,
      ecrCalls: 4,
    },
    {
      name: 'ECR 500 on every attempt: failure well inside the deadline',
      times: 10,
      status: 500,
      type: 'ServerException',
      exitCode: ERROR_KINDS.unavailable,
      ecrCalls: 5,
    },
  ])('retries: $name', async ({ times, status, type, exitCode, ecrCalls }) => {
    ecr.aws.ecr.faults.push('GetAuthorizationToken', awsJsonError(status, type, 'injected'), times);
    const token = await ecr.mint('team-a', 'puller');
    const result = await ecr.run({
      image: `${host}/team-a/app`,
      serviceAccountToken: token,
      serviceAccountAnnotations: { [ROLE_ANNOTATION]: ROLE_A },
      cacheType: 'ServiceAccount',
    });
    expect(result.exitCode).toBe(exitCode);
    expect(calls()).toEqual({ sts: 1, ecr: ecrCalls, imds: 0 });
    expect(result.durationMs).toBeLessThan(15_000);
    if (exitCode !== 0) expect(result.stderr).toContain(`ServerException: injected`);
    expect(leaks(result, [token])).toEqual([]);
  });

  it('a token with no role uses the node identity and says so at the default verbosity', async () => {
    const token = await ecr.mint('team-a', 'puller');
    const result = await ecr.run({
      image: `${host}/team-a/app`,
      serviceAccountToken: token,
      cacheType: 'ServiceAccount',
    });
    expect(result.verdict.valid).toBe(true);
    expect(result.stderr).toMatch(
      /^I.* service account token not used: no annotation eks\.amazonaws\.com\/ecr-role-arn and no AWS_ECR_ROLE_ARN; using the node's credentials\n$/,
    );
    expect(calls()).toEqual({ sts: 0, ecr: 1, imds: 3 });
    expect(leaks(result, [token])).toEqual([]);
  });

  // Upstream signs with the node's credentials whenever no role is named ("no arn provided"), never
  // looking at the token; so does credkit: the token is not judged on that path (issue 10 item 2).
  it.each([
    { name: 'another audience', token: () => ecr.mint('team-a', 'puller', { audience: 'api://AKSIdentityBinding' }) },
    { name: 'expired', token: () => ecr.mint('team-a', 'puller', { expiresInSeconds: -3600 }) },
    { name: 'not a JWT', token: async () => 'not-a-jwt-but-sent-anyway' },
    { name: 'an empty role annotation', token: () => ecr.mint('team-a', 'puller', { audience: 'other' }), role: '' },
  ])('no role, token $name: ignored, the node credentials answer', async ({ token: mint, role }) => {
    const token = await mint();
    const result = await ecr.run({
      image: `${host}/team-a/app`,
      serviceAccountToken: token,
      ...(role !== undefined ? { serviceAccountAnnotations: { [ROLE_ANNOTATION]: role } } : {}),
      cacheType: 'ServiceAccount',
    });
    expect(result.exitCode).toBe(0);
    expect(result.verdict.valid).toBe(true);
    expect(ecr.aws.principalOf(passwordOf(result))).toBe('instance-role:eks-node');
    expect(calls()).toEqual({ sts: 0, ecr: 1, imds: 3 });
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(leaks(result, [token])).toEqual([]);
  });

  it.each<{ name: string; annotations: Record<string, string>; env: Record<string, string>; args?: string[] }>([
    { name: 'the role annotation', annotations: { [ROLE_ANNOTATION]: ROLE_A }, env: {} },
    { name: 'AWS_ECR_ROLE_ARN', annotations: {}, env: { AWS_ECR_ROLE_ARN: ROLE_A } },
    { name: '--require-role without a role', annotations: {}, env: {}, args: ['--require-role'] },
  ])('exchange path ($name), token of another audience: exit 4 before any call', async (c) => {
    const token = await ecr.mint('team-a', 'puller', { audience: 'api://AKSIdentityBinding' });
    const result = await ecr.run({
      image: `${host}/team-a/app`,
      serviceAccountToken: token,
      serviceAccountAnnotations: c.annotations,
      env: c.env,
      cacheType: 'ServiceAccount',
      args: c.args ?? [],
    });
    expect(result.exitCode).toBe(ERROR_KINDS.token);
    expect(result.stderr).toMatch(/token audience is \["api:\/\/AKSIdentityBinding"\], this provider expects sts/);
    expect(calls()).toEqual({ sts: 0, ecr: 0, imds: 0 });
  });

  it.each([
    {
      name: 'wrong audience: no call to STS',
      token: () => ecr.mint('team-a', 'puller', { audience: 'https://kubernetes.default.svc' }),
      role: ROLE_A,
      exitCode: ERROR_KINDS.token,
      says: ['this provider expects sts.amazonaws.com'],
      calls: { sts: 0, ecr: 0, imds: 0 },
    },
    {
      name: 'expired token: no call to STS',
      token: () => ecr.mint('team-a', 'puller', { expiresInSeconds: -300 }),
      role: ROLE_A,
      exitCode: ERROR_KINDS.token,
      says: ['expired'],
      calls: { sts: 0, ecr: 0, imds: 0 },
    },
    {
      name: "STS AccessDenied names the role and the token's subject",
      token: () => ecr.mint('team-b', 'puller'),
      role: ROLE_A,
      exitCode: ERROR_KINDS.denied,
      says: [`failed to assume role ${ROLE_A} for ${SUBJECT_B}`, 'AccessDenied'],
      calls: { sts: 1, ecr: 0, imds: 0 },
    },
  ])('$name', async ({ token: mint, role, exitCode, says, calls: expected }) => {
    const token = await mint();
    const result = await ecr.run({
      image: `${host}/team-a/app`,
      serviceAccountToken: token,
      serviceAccountAnnotations: { [ROLE_ANNOTATION]: role },
      cacheType: 'ServiceAccount',
      args: ['--v=10'],
    });
    expect(result.exitCode).toBe(exitCode);
    expect(result.stdout).toBe('');
    const errorLines = result.stderr.split('\n').filter((line) => line.startsWith('E'));
    expect(errorLines).toHaveLength(1);
    for (const text of says) expect(errorLines[0]).toContain(text);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(calls()).toEqual(expected);
    expect(leaks(result, [token])).toEqual([]);
  });
});

describe("the AWS SDKs' environment and IRSA's annotation (drop-in)", () => {
  const sa = async (annotations: Record<string, string>) => ({
    image: `${host}/team-a/app`,
    serviceAccountToken: await ecr.mint('team-a', 'puller'),
    serviceAccountAnnotations: annotations,
    cacheType: 'ServiceAccount' as const,
  });

  it.each([
    {
      name: 'AWS_CA_BUNDLE alone: trusted for STS and ECR',
      bundle: true,
      exitCode: 0,
      calls: { sts: 1, ecr: 1, imds: 0 },
    },
    {
      name: 'neither CA setting: TLS fails, after the retries',
      bundle: false,
      exitCode: ERROR_KINDS.unavailable,
      calls: { sts: 0, ecr: 0, imds: 0 },
    },
  ])('$name', async ({ bundle, exitCode, calls: expected }) => {
    const { NODE_EXTRA_CA_CERTS: caFile = '', SSL_CERT_FILE: _, ...env } = ecr.env;
    const result = await ecr.run({
      ...(await sa({ [ROLE_ANNOTATION]: ROLE_A })),
      inheritedEnv: env,
      env: bundle ? { AWS_CA_BUNDLE: caFile, AWS_MAX_ATTEMPTS: '2' } : { AWS_MAX_ATTEMPTS: '2' },
    });
    expect(result.exitCode, result.stderr).toBe(exitCode);
    expect(calls()).toEqual(expected);
    if (exitCode !== 0) expect(result.stderr).toContain('sts.us-west-2.amazonaws.com');
  });

  it.each<{ name: string; env: Record<string, string>; exitCode: number; ecrCalls: number }>([
    {
      name: 'AWS_MAX_ATTEMPTS=2: two ECR attempts',
      env: { AWS_MAX_ATTEMPTS: '2' },
      exitCode: ERROR_KINDS.unavailable,
      ecrCalls: 2,
    },
    {
      name: 'AWS_MAX_ATTEMPTS=1: no retry',
      env: { AWS_MAX_ATTEMPTS: '1' },
      exitCode: ERROR_KINDS.unavailable,
      ecrCalls: 1,
    },
    {
      name: 'AWS_RETRY_MODE=adaptive: the one rule, 5 attempts',
      env: { AWS_RETRY_MODE: 'adaptive' },
      exitCode: ERROR_KINDS.unavailable,
      ecrCalls: 5,
    },
    {
      name: 'AWS_RETRY_MODE=bogus: exit 2 before any call',
      env: { AWS_RETRY_MODE: 'bogus' },
      exitCode: ERROR_KINDS.usage,
      ecrCalls: 0,
    },
    {
      name: 'AWS_MAX_ATTEMPTS=0: exit 2 before any call',
      env: { AWS_MAX_ATTEMPTS: '0' },
      exitCode: ERROR_KINDS.usage,
      ecrCalls: 0,
    },
  ])('$name', async ({ env, exitCode, ecrCalls }) => {
    ecr.aws.ecr.faults.push('GetAuthorizationToken', awsJsonError(400, 'ThrottlingException', 'Rate exceeded'), 10);
    const result = await ecr.run({ ...(await sa({ [ROLE_ANNOTATION]: ROLE_A })), env });
    expect(result.exitCode).toBe(exitCode);
    expect(ecr.aws.ecr.calls()).toBe(ecrCalls);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each<{ name: string; args: string[]; annotations: Record<string, string>; token: string; principal: string }>([
    {
      name: 'IRSA key alone, flag on: its role',
      args: ['--irsa-role-annotation'],
      annotations: { [IRSA]: ROLE_B },
      token: 'team-b',
      principal: `assumed-role:${ROLE_B}`,
    },
    {
      name: 'IRSA key alone, flag off: the node (as upstream)',
      args: [],
      annotations: { [IRSA]: ROLE_B },
      token: 'team-b',
      principal: 'instance-role:eks-node',
    },
    {
      name: "both keys, flag on: upstream's key wins",
      args: ['--irsa-role-annotation'],
      annotations: { [IRSA]: ROLE_B, [ROLE_ANNOTATION]: ROLE_A },
      token: 'team-a',
      principal: `assumed-role:${ROLE_A}`,
    },
  ])('$name', async ({ args, annotations, token, principal }) => {
    const result = await ecr.run({
      image: `${host}/team-a/app`,
      serviceAccountToken: await ecr.mint(token, 'puller'),
      serviceAccountAnnotations: annotations,
      cacheType: 'ServiceAccount',
      args,
    });
    expect(result.verdict.valid, result.stderr).toBe(true);
    expect(ecr.aws.principalOf(passwordOf(result))).toBe(principal);
  });

  it("hosts outside ECR's pattern, with a default region: that region's token, as upstream (#673)", async () => {
    const image = 'ecr-mirror.internal.example/team-a/app:1';
    const result = await ecr.run({
      image,
      env: { AWS_REGION: 'us-east-1' },
      matchImages: ['ecr-mirror.internal.example'],
    });
    expect(result.verdict).toMatchObject({ valid: true, matchingKeys: ['ecr-mirror.internal.example'] });
    expect(ecr.aws.ecr.requests.map((req) => req.host)).toEqual(['api.ecr.us-east-1.amazonaws.com']);
    expect(result.stderr).toMatch(
      /^W.*ecr-mirror\.internal\.example is not an ECR registry host: using an ECR token of the default region us-east-1/,
    );
    expect(result.response?.auth?.['ecr-mirror.internal.example']?.username).toBe('AWS');
  });
});

describe('drop-in for ecr-credential-provider', () => {
  it.each([
    { name: 'the historic get-credentials argument', args: ['get-credentials'], apiVersion: 'v1' },
    { name: 'v1beta1 requests (upstream: v1 only)', args: [], apiVersion: 'v1beta1' },
    { name: 'v1alpha1 requests', args: [], apiVersion: 'v1alpha1' },
  ])('accepts $name', async ({ args, apiVersion }) => {
    const result = await ecr.run({ image: `${host}/team-a/app`, args, apiVersion });
    expect(result.verdict.valid).toBe(true);
  });

  // Upstream Test_runPlugin and the "empty image" row of Test_GetCredentials_Public.
  it.each([
    {
      name: 'wrong kind',
      stdin: {
        kind: 'CredentialProviderFoo',
        apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
        image: 'public.ecr.aws/x',
      },
      says: 'kind',
    },
    {
      name: 'unknown apiVersion',
      stdin: { kind: 'CredentialProviderRequest', apiVersion: 'foo.k8s.io/v1', image: 'public.ecr.aws/x' },
      says: 'apiVersion',
    },
    {
      name: 'empty image',
      stdin: { kind: 'CredentialProviderRequest', apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image: '' },
      says: 'image',
    },
  ])('refuses a malformed request: $name', async ({ stdin, says }) => {
    const result = await ecr.run({ image: 'public.ecr.aws/x', stdin: JSON.stringify(stdin) });
    expect(result.exitCode).toBe(ERROR_KINDS.request);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(says);
    expect(calls()).toEqual({ sts: 0, ecr: 0, imds: 0 });
  });

  it('answers no auth and 0s for images that are not ECR when no default region is set, without calling AWS', async () => {
    const result = await ecr.run({ image: 'registry.k8s.io/pause:3.9' });
    expect(result.exitCode).toBe(0);
    expect(result.response).toEqual({
      kind: 'CredentialProviderResponse',
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      cacheKeyType: 'Registry',
      cacheDuration: '0s',
    });
    expect(calls()).toEqual({ sts: 0, ecr: 0, imds: 0 });
  });

  it.each([
    {
      name: 'no instance profile',
      env: {},
      fault: { status: 404, body: 'not found' },
      exitCode: ERROR_KINDS.usage,
      says: 'no IAM instance profile',
    },
    {
      name: 'IMDS disabled and nothing else',
      env: { AWS_EC2_METADATA_DISABLED: 'true' },
      exitCode: ERROR_KINDS.usage,
      says: 'AWS_EC2_METADATA_DISABLED',
    },
    { name: 'an unknown flag', env: {}, args: ['--region=us-west-2'], exitCode: ERROR_KINDS.usage, says: '--region' },
  ])('fails clearly: $name', async ({ env, fault, args, exitCode, says }) => {
    if (fault) ecr.aws.imds.faults.push('role', fault);
    const result = await ecr.run({ image: `${host}/team-a/app`, env: env as Record<string, string>, args: args ?? [] });
    expect(result.exitCode).toBe(exitCode);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(says);
  });

  // Upstream is a cobra command with a Version: -v is --version there; credkit's --v stays.
  it.each([['--version'], ['-v']])('prints the version for %s', async (flag) => {
    const result = await ecr.run({ image: host, args: [flag], stdin: '' });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('credkit-ecr 0.1.0\n');
  });

  it('prints --help naming the env and annotation', async () => {
    const result = await ecr.run({ image: host, args: ['--help'], stdin: '' });
    expect(result.exitCode).toBe(0);
    for (const text of ['AWS_ECR_ROLE_ARN', ROLE_ANNOTATION, '--require-role', 'sts.amazonaws.com']) {
      expect(result.stdout).toContain(text);
    }
  });
});

/**
 * The fakes are strict: a test that passes against them proves the client signed, scoped and
 * authenticated correctly. Each row breaks one thing a real AWS would refuse.
 */
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttp } from '../../../core/index.ts';
import { type EcrWorld, ROLE_A, SUBJECT_A, startEcrWorld } from './world.ts';

const ROLE_LONG = 'arn:aws:iam::123456789012:role/long-sessions';
let ecr: EcrWorld;
let handler: NodeHttpHandler;
beforeAll(async () => {
  ecr = await startEcrWorld({
    roles: {
      [ROLE_A]: { subjects: [SUBJECT_A] },
      [ROLE_LONG]: { subjects: [SUBJECT_A], maxSessionSeconds: 43_200 },
    },
  });
  const agent = createHttp({ env: ecr.env }).agent;
  handler = new NodeHttpHandler({
    httpAgent: agent,
    httpsAgent: agent,
    requestTimeout: 5_000,
    throwOnRequestTimeout: true,
  });
});
afterAll(() => ecr.close());

const errorName = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: Error) => error.name,
  );

describe('fake ECR GetAuthorizationToken checks SigV4', () => {
  const call = (region: string, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
    errorName(
      new ECRClient({ region, credentials, requestHandler: handler, maxAttempts: 1 }).send(
        new GetAuthorizationTokenCommand({}),
      ),
    );

  it.each([
    { name: 'a valid static key', creds: () => ecr.aws.staticKey(), region: 'us-west-2', result: 'ok' },
    {
      name: 'a wrong secret',
      creds: () => ({ ...ecr.aws.staticKey(), secretAccessKey: 'wrong-secret-key' }),
      region: 'us-west-2',
      result: 'InvalidSignatureException',
    },
    {
      name: 'an unknown key id',
      creds: () => ({ accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' }),
      region: 'us-west-2',
      result: 'UnrecognizedClientException',
    },
    {
      name: 'a session key without its session token',
      creds: () => {
        const { sessionToken: _, ...rest } = ecr.aws.iam.mintKey('s', { temporary: true, lifetimeMs: 60_000 });
        return rest;
      },
      region: 'us-west-2',
      result: 'UnrecognizedClientException',
    },
    {
      name: 'a session key with another session token',
      creds: () => ({
        ...ecr.aws.iam.mintKey('s', { temporary: true, lifetimeMs: 60_000 }),
        sessionToken: 'FwoGZXother',
      }),
      region: 'us-west-2',
      result: 'UnrecognizedClientException',
    },
    {
      name: 'an expired session',
      creds: () => ecr.aws.iam.mintKey('s', { temporary: true, lifetimeMs: -1 }),
      region: 'us-west-2',
      result: 'ExpiredTokenException',
    },
    {
      name: 'a principal without ecr:GetAuthorizationToken',
      creds: () => {
        ecr.aws.iam.deniedPrincipals.add('user/denied');
        return ecr.aws.staticKey('user/denied');
      },
      region: 'us-west-2',
      result: 'AccessDeniedException',
    },
  ])('$name → $result', async ({ creds, region, result }) => {
    expect(await call(region, creds())).toBe(result);
  });

  it('refuses a signature scoped to another region than the endpoint', async () => {
    const client = new ECRClient({
      region: 'us-east-1',
      credentials: ecr.aws.staticKey(),
      requestHandler: handler,
      maxAttempts: 1,
      endpoint: 'https://api.ecr.us-west-2.amazonaws.com',
    });
    expect(await errorName(client.send(new GetAuthorizationTokenCommand({})))).toBe('InvalidSignatureException');
  });
});

describe('fake STS AssumeRoleWithWebIdentity verifies the token', () => {
  const assume = (token: string, roleArn = ROLE_A) =>
    errorName(
      new STSClient({ region: 'us-west-2', requestHandler: handler, maxAttempts: 1 }).send(
        new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'test', WebIdentityToken: token }),
      ),
    );

  it.each([
    { name: 'a trusted subject', token: () => ecr.mint('team-a', 'puller'), result: 'ok' },
    { name: 'an untrusted subject', token: () => ecr.mint('team-a', 'other'), result: 'AccessDenied' },
    {
      name: 'the wrong audience',
      token: () => ecr.mint('team-a', 'puller', { audience: 'other' }),
      result: 'InvalidIdentityTokenException',
    },
    {
      name: 'an expired token',
      token: () => ecr.mint('team-a', 'puller', { expiresInSeconds: -60 }),
      result: 'ExpiredTokenException',
    },
    { name: 'a token signed by another key', token: forged, result: 'InvalidIdentityTokenException' },
    { name: 'not a JWT', token: async () => 'not-a-jwt', result: 'InvalidIdentityTokenException' },
  ])('$name → $result', async ({ token, result }) => {
    expect(await assume(await token())).toBe(result);
  });

  it('refuses an unknown role', async () => {
    expect(await assume(await ecr.mint('team-a', 'puller'), 'arn:aws:iam::123456789012:role/unknown')).toBe(
      'AccessDenied',
    );
  });
});

describe("fake STS DurationSeconds: STS's bounds, then the role's MaxSessionDuration", () => {
  const assume = async (roleArn: string, DurationSeconds?: number) =>
    new STSClient({ region: 'us-west-2', requestHandler: handler, maxAttempts: 1 })
      .send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: 'test',
          WebIdentityToken: await ecr.mint('team-a', 'puller'),
          ...(DurationSeconds !== undefined ? { DurationSeconds } : {}),
        }),
      )
      .then(
        (output) => Math.round(((output.Credentials?.Expiration?.getTime() ?? 0) - Date.now()) / 1000),
        (error: Error) => `${error.name}: ${error.message}`,
      );
  it.each([
    { name: 'none: STS default 1 h', role: ROLE_A, seconds: undefined, result: 3600 },
    { name: 'within a 1 h role', role: ROLE_A, seconds: 900, result: 900 },
    {
      name: 'over a 1 h role',
      role: ROLE_A,
      seconds: 7200,
      result: 'ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    },
    { name: '12 h on a 12 h role', role: ROLE_LONG, seconds: 43_200, result: 43_200 },
    { name: 'below 900', role: ROLE_LONG, seconds: 899, result: /ValidationError: .*greater than or equal to 900/ },
    { name: 'above 43200', role: ROLE_LONG, seconds: 43_201, result: /ValidationError: .*less than or equal to 43200/ },
  ])('$name', async ({ role, seconds, result }) => {
    const got = await assume(role, seconds);
    if (typeof result === 'number') expect(Math.abs(Number(got) - result)).toBeLessThanOrEqual(2);
    else expect(got).toMatch(result);
  });
});

async function forged(): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT({ aud: ['sts.amazonaws.com'] })
    .setProtectedHeader({ alg: 'RS256', kid: ecr.world.issuer.jwks.keys[0]?.kid ?? 'x' })
    .setIssuer(ecr.world.issuer.issuer)
    .setSubject(SUBJECT_A)
    .setExpirationTime('1h')
    .sign(privateKey);
}

describe('fake registry accepts only passwords the fake ECR issued, in scope and unexpired', () => {
  const ping = async (registryHost: string, password: string) => {
    const http = createHttp({ env: ecr.env });
    const res = await http.request(`https://${registryHost}/v2/`, {
      headers: { authorization: `Basic ${Buffer.from(`AWS:${password}`).toString('base64')}` },
    });
    return res.status;
  };
  it.each([
    {
      name: 'issued for us-west-2, used there',
      issue: ['private:us-west-2', 60_000],
      region: 'us-west-2',
      status: 200,
    },
    {
      name: 'issued for us-west-2, used in us-east-1',
      issue: ['private:us-west-2', 60_000],
      region: 'us-east-1',
      status: 401,
    },
    { name: 'expired', issue: ['private:us-west-2', -1], region: 'us-west-2', status: 401 },
    { name: 'never issued', issue: undefined, region: 'us-west-2', status: 401 },
  ] as const)('$name → $status', async ({ issue, region, status }) => {
    const password = issue ? ecr.aws.iam.issuePassword('user/x', issue[0], Date.now() + issue[1]) : 'made-up-password';
    expect(await ping(ecr.aws.registryHost(region), password)).toBe(status);
  });
});

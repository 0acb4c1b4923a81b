/**
 * The pod-token leg in process against the fake Quay, through the CONNECT proxy at real host names:
 * what is sent, how each of Quay's refusals reads (its words and the fix), the cache hint from the
 * robot token's own `exp`, and the one retry rule of the core's exchange layer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { quayReason } from '../../../adapters/quay/exchange.ts';
import { SERVICE_UNAVAILABLE, TOO_MANY_REQUESTS } from '../../../adapters/quay/fake/index.ts';
import { ERROR_KINDS, parseGoDuration } from '../../../core/index.ts';
import {
  BUILDER,
  BUILDER_SUBJECT,
  CI,
  LEGACY,
  PULLER,
  type QuayWorld,
  runQuay,
  SELF_HOSTED,
  startQuayWorld,
} from './world.ts';

let q: QuayWorld;
beforeAll(async () => {
  q = await startQuayWorld();
});
afterAll(() => q.close());
beforeEach(() => q.reset());

const robot = (name: string) => ({ 'quay.io/robot': name });
const seconds = (duration = '0s') => Number(parseGoDuration(duration) / 1_000_000_000n);

describe('the exchange', () => {
  it('one GET with Basic <robot>:<pod token>, answered with the robot token for the image registry', async () => {
    const token = await q.mint();
    const run = await runQuay(q, { token, annotations: robot(PULLER) });
    expect(run.code, run.stderr).toBe(0);
    const issued = q.quay.issued.at(-1);
    expect(run.response?.auth).toEqual({ 'quay.io': { username: PULLER, password: issued?.token } });
    expect(q.quay.server.calls()).toBe(1);
    const [request] = q.quay.server.requests;
    expect(request?.method).toBe('GET');
    expect(request?.url.pathname).toBe('/oauth2/federation/robot/token');
    expect(request?.url.search).toBe('');
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`${PULLER}:${token}`).toString('base64')}`);
    expect(request?.headers['user-agent']).toMatch(/^credkit-quay\//);
  });

  it('caches until the robot token’s exp minus the 5 min margin', async () => {
    const run = await runQuay(q, { token: await q.mint(), annotations: robot(PULLER) });
    expect(seconds(run.response?.cacheDuration)).toBeGreaterThan(3600 - 300 - 30);
    expect(seconds(run.response?.cacheDuration)).toBeLessThanOrEqual(3600 - 300);
    expect(run.response?.cacheKeyType).toBe('Registry');
  });

  it('the second of several federation entries matches by issuer, then subject', async () => {
    const run = await runQuay(q, { token: await q.mint('builder'), annotations: robot(BUILDER) });
    expect(run.code, run.stderr).toBe(0);
    expect(q.quay.issued.at(-1)).toMatchObject({ robot: BUILDER, subject: BUILDER_SUBJECT });
  });

  it('self-hosted: --registry routes the exchange to that host, and quay.io is then not served', async () => {
    const args = [`--registry=${SELF_HOSTED}`];
    const token = await q.mint('app', { audience: SELF_HOSTED });
    const run = await runQuay(q, { args, image: `${SELF_HOSTED}/platform/tool`, token, annotations: robot(CI) });
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(run.response?.auth ?? {})).toEqual([SELF_HOSTED]);
    expect(q.selfHosted.whoIs(run.response?.auth?.[SELF_HOSTED]?.password ?? '')).toBe(CI);
    const other = await runQuay(q, { args, token, annotations: robot(PULLER) });
    expect(other).toMatchObject({ code: 0, response: { cacheDuration: '0s' } });
    expect(other.response?.auth).toBeUndefined();
    expect(q.quay.server.calls()).toBe(0);
  });
});

describe('refusals: Quay’s words, then the fix', () => {
  it.each([
    {
      name: 'a robot that does not exist',
      robot: 'acme+nobody',
      error:
        /Quay robot federation \(quay\.io\) answered 400: Could not find robot with specified username: create robot acme\+nobody on quay\.io/,
    },
    {
      name: 'a robot without federation',
      robot: LEGACY,
      error:
        /answered 400: Robot does not have federated login configured: add a federation entry to robot acme\+legacy: issuer https:\/\/oidc\.credkit\.test, subject system:serviceaccount:team:app/,
    },
    {
      name: 'a subject the robot does not trust',
      robot: PULLER,
      serviceAccount: 'intruder',
      error:
        /answered 400: Token does not match robot: add a federation entry to robot acme\+puller: issuer https:\/\/oidc\.credkit\.test, subject system:serviceaccount:team:intruder/,
    },
  ])('$name: exit 5, one line', async ({ robot: name, serviceAccount, error }) => {
    const token = await q.mint(serviceAccount);
    const run = await runQuay(q, { token, annotations: robot(name) });
    expect(run.code).toBe(ERROR_KINDS.denied);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(error);
    expect(run.stderr).not.toContain(token);
    expect(q.quay.server.calls('federation.token')).toBe(1);
  });

  it('a host that is not Quay >= 3.13 (404) says so', async () => {
    q.quay.server.faults.push('federation.token', { status: 404, body: '<html>Not Found</html>' });
    const run = await runQuay(q, { token: await q.mint(), annotations: robot(PULLER) });
    expect(run.code).toBe(ERROR_KINDS.denied);
    expect(run.stderr).toMatch(
      /answered 404: <html>Not Found<\/html>: quay\.io has no robot federation endpoint: it needs Quay 3\.13 or later/,
    );
  });

  it.each([
    { name: '400 message', text: '{"message":"Token does not match robot"}', reason: 'Token does not match robot' },
    { name: '401 error', text: '{"error":"Invalid robot"}', reason: 'Invalid robot' },
    { name: 'not JSON', text: '<html>busy</html>', reason: '<html>busy</html>' },
    { name: 'JSON of another shape', text: '{"detail":"x"}', reason: '{"detail":"x"}' },
  ])('reads Quay’s reason from $name', ({ text, reason }) => {
    expect(quayReason(text)).toBe(reason);
  });
});

describe('the core’s retry rule, nothing of the adapter’s own', () => {
  it.each([
    { name: '503 then success', fault: SERVICE_UNAVAILABLE, times: 1, calls: 2 },
    { name: '429 with Retry-After x2 then success', fault: TOO_MANY_REQUESTS, times: 2, calls: 3 },
  ])('$name', async ({ fault, times, calls }) => {
    q.quay.server.faults.push('federation.token', fault, times);
    const run = await runQuay(q, { token: await q.mint(), annotations: robot(PULLER) });
    expect(run.code, run.stderr).toBe(0);
    expect(q.quay.server.calls('federation.token')).toBe(calls);
  });

  it('a refusal is never retried', async () => {
    await runQuay(q, { token: await q.mint(), annotations: robot(LEGACY) });
    expect(q.quay.server.calls('federation.token')).toBe(1);
  });

  it('5xx until the attempts run out: exit 6, "kept answering"', async () => {
    q.quay.server.faults.push('federation.token', { status: 502, body: 'Bad Gateway' }, 5);
    const run = await runQuay(q, { token: await q.mint(), annotations: robot(PULLER) });
    expect(run.code).toBe(ERROR_KINDS.unavailable);
    expect(run.stderr).toMatch(/Quay robot federation \(quay\.io\) kept answering 502: Bad Gateway/);
    expect(q.quay.server.calls('federation.token')).toBe(5);
  }, 30_000);

  it('an answer without a token is final', async () => {
    q.quay.server.faults.push('federation.token', { status: 200, body: { robot: PULLER } });
    const run = await runQuay(q, { token: await q.mint(), annotations: robot(PULLER) });
    expect(run.code).toBe(ERROR_KINDS.unavailable);
    expect(run.stderr).toMatch(/answered 200 without a valid token/);
    expect(q.quay.server.calls('federation.token')).toBe(1);
  });

  it('a token that is not a JWT is used but not cached', async () => {
    q.quay.server.faults.push('federation.token', { status: 200, body: { token: 'opaque-robot-token' } });
    const run = await runQuay(q, { token: await q.mint(), annotations: robot(PULLER) });
    expect(run.code).toBe(0);
    expect(run.response).toMatchObject({
      cacheDuration: '0s',
      auth: { 'quay.io': { password: 'opaque-robot-token' } },
    });
  });
});

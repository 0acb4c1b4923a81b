/**
 * The fake Quay is only worth something if it is as strict as Quay: each row sends one request
 * through the proxy at the real host name and checks the fake refuses (or accepts) it with Quay's
 * status and words (util/security/federated_robot_auth.py, endpoints/decorated.py).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttp, type Http } from '../../../core/index.ts';
import { startFakeIssuer } from '../../../core/testing/index.ts';
import { CI, LEGACY, PULLER, type QuayWorld, SELF_HOSTED, STRICT, startQuayWorld } from './world.ts';

let q: QuayWorld;
let http: Http;
beforeAll(async () => {
  q = await startQuayWorld();
  http = createHttp({ env: q.world.env });
});
afterAll(() => q.close());
beforeEach(() => q.reset());

const FEDERATION = 'https://quay.io/oauth2/federation/robot/token';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const federate = (authorization?: string, url = FEDERATION) =>
  http.request(url, { method: 'GET', headers: authorization ? { authorization } : {} });

describe('GET /oauth2/federation/robot/token', () => {
  it.each([
    { name: 'no Authorization header', auth: async () => undefined, status: 401, error: 'No auth header' },
    {
      name: 'a Bearer header',
      auth: async () => `Bearer ${await q.mint()}`,
      status: 401,
      error: 'Could not parse basic auth header',
    },
    {
      name: 'a user name that is not a robot',
      auth: async () => basic('acme', await q.mint()),
      status: 401,
      error: 'Invalid robot',
    },
    {
      name: 'a robot that does not exist',
      auth: async () => basic('acme+nobody', await q.mint()),
      status: 400,
      message: 'Could not find robot with specified username',
    },
    { name: 'a password that is not a JWT', auth: async () => basic(PULLER, 'not-a-jwt'), status: 500 },
    {
      name: 'a robot without federation',
      auth: async () => basic(LEGACY, await q.mint()),
      status: 400,
      message: 'Robot does not have federated login configured',
    },
    {
      name: 'an issuer the robot does not trust',
      auth: async () =>
        basic(PULLER, await (await startFakeIssuer({ host: 'other.credkit.test' })).mint({ audience: 'quay.io' })),
      status: 400,
      message: 'issuer https://other.credkit.test not configured for this robot',
    },
    {
      name: 'a forged token (same issuer URL, other key)',
      auth: async () =>
        basic(
          PULLER,
          await (await startFakeIssuer()).mint({ audience: 'quay.io', namespace: 'team', serviceAccount: 'app' }),
        ),
      status: 400,
      message: /^Invalid token: no applicable key found/,
    },
    {
      name: 'an expired token',
      auth: async () => basic(PULLER, await q.mint('app', { expiresInSeconds: -120 })),
      status: 400,
      message: /^Invalid token: "exp" claim timestamp check failed/,
    },
    {
      name: 'a subject the robot does not trust',
      auth: async () => basic(PULLER, await q.mint('intruder')),
      status: 400,
      message: 'Token does not match robot',
    },
    {
      name: 'a wrong audience where the entry lists audiences',
      auth: async () => basic(STRICT, await q.mint('app', { audience: 'sts.amazonaws.com' })),
      status: 400,
      message: /^Invalid token: unexpected "aud" claim value/,
    },
    {
      name: 'any audience where it lists none (Quay 3.13-3.17)',
      auth: async () => basic(PULLER, await q.mint('app', { audience: 'anything' })),
      status: 200,
    },
    { name: 'the listed audience', auth: async () => basic(STRICT, await q.mint()), status: 200 },
  ])('$name -> $status', async ({ auth, status, error, message }) => {
    const answer = await federate(await auth());
    expect(answer.status).toBe(status);
    const body = JSON.parse(answer.text);
    if (error) expect(body).toEqual({ error });
    if (typeof message === 'string') expect(body).toEqual({ message });
    if (message instanceof RegExp) expect(body.message).toMatch(message);
    if (status === 200) expect(body).toEqual({ token: expect.stringMatching(/^eyJ/) });
  });

  it('issues a JWT for the robot on this host, an hour long, that only this Quay knows', async () => {
    const answer = await federate(basic(PULLER, await q.mint()));
    const { token } = JSON.parse(answer.text) as { token: string };
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    expect(claims).toMatchObject({ iss: 'quay', sub: PULLER, aud: 'quay.io' });
    expect(claims.exp - claims.iat).toBe(3600);
    expect(q.quay.whoIs(token)).toBe(PULLER);
    expect(q.selfHosted.whoIs(token)).toBeUndefined();
    expect(q.quay.issued.at(-1)).toMatchObject({
      robot: PULLER,
      host: 'quay.io',
      subject: 'system:serviceaccount:team:app',
    });
  });

  it('each Quay has its own robots: quay.io does not know the self-hosted one', async () => {
    const token = await q.mint();
    expect((await federate(basic(CI, token))).status).toBe(400);
    expect((await federate(basic(CI, token), `https://${SELF_HOSTED}/oauth2/federation/robot/token`)).status).toBe(200);
  });
});

describe('the registry behind it', () => {
  async function robotToken(robot = PULLER, host = 'quay.io') {
    const answer = await federate(basic(robot, await q.mint()), `https://${host}/oauth2/federation/robot/token`);
    return (JSON.parse(answer.text) as { token: string }).token;
  }
  const auth = (authorization: string, host = 'quay.io') =>
    http.request(`https://${host}/v2/auth?service=${host}&scope=repository:acme/app:pull`, {
      method: 'GET',
      headers: { authorization },
    });

  it('challenges with Quay’s realm, then serves the manifest for the robot’s bearer', async () => {
    const ping = await http.request('https://quay.io/v2/', { method: 'GET', headers: {} });
    expect(ping.status).toBe(401);
    expect(ping.headers['www-authenticate']).toBe('Bearer realm="https://quay.io/v2/auth",service="quay.io"');
    const granted = await auth(basic(PULLER, await robotToken()));
    expect(granted.status).toBe(200);
    const { token } = JSON.parse(granted.text) as { token: string };
    const manifest = await http.request('https://quay.io/v2/acme/app/manifests/latest', {
      method: 'GET',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(manifest.status).toBe(200);
    expect(q.quay.pulls.at(-1)).toEqual({ host: 'quay.io', repository: 'acme/app', robot: PULLER });
  });

  it.each([
    { name: 'a made-up password', authorization: async () => basic(PULLER, 'made-up') },
    { name: 'the pod token itself', authorization: async () => basic(PULLER, await q.mint()) },
    { name: 'another robot’s name', authorization: async () => basic('acme+builder', await robotToken()) },
    { name: 'another Quay’s robot token', authorization: async () => basic(CI, await robotToken(CI, SELF_HOSTED)) },
  ])('refuses $name', async ({ authorization }) => {
    const answer = await auth(await authorization());
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toEqual({
      errors: [{ code: 'UNAUTHORIZED', message: 'Invalid Username or Password' }],
    });
  });
});

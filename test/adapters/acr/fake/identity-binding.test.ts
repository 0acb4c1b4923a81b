/**
 * The fake identity-binding endpoint is strict: each row breaks one thing a real client sends
 * (TLS server name, Host, path, method, content type, form fields, the token's audience and
 * signature, the binding) and must be refused, so credkit-acr passing against it means something.
 * Requests go by raw node:https, as a hand-written client would, to the fake's loopback address.
 */
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeIdentityBinding, startFakeIdentityBinding } from '../../../../adapters/acr/fake/index.ts';
import { createSigner, type Signer } from '../../../../adapters/acr/fake/tokens.ts';
import { type FakeIssuer, startFakeIssuer } from '../../../../core/testing/index.ts';

const SNI = 'ib.cluster.test';
const CLIENT = 'e0e0e0e0-0000-4000-8000-00000000000e';
const SCOPE = 'https://containerregistry.azure.net/.default';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let issuer: FakeIssuer;
let stranger: FakeIssuer;
let signer: Signer;
let fake: FakeIdentityBinding;
beforeAll(async () => {
  [issuer, stranger] = await Promise.all([startFakeIssuer(), startFakeIssuer()]);
  signer = await createSigner('https://sts.windows.net/');
  fake = await startFakeIdentityBinding({
    sniName: SNI,
    bindings: [{ clientId: CLIENT, tenantId: 't', subjects: ['system:serviceaccount:team:app'] }],
    verifyAssertion: (token, audience) => issuer.verify(token, { audience }),
    signer,
  });
});
afterAll(async () => {
  await fake?.close();
  await Promise.all([issuer?.close(), stranger?.close()]);
});

interface Send {
  servername?: string;
  host?: string;
  path?: string;
  method?: string;
  contentType?: string;
  body?: string;
}

function send(options: Send): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: fake.port,
        ca: fake.ca.certPem,
        servername: options.servername ?? SNI,
        // Each row changes one thing; the certificate is checked in the credkit tests, not here.
        checkServerIdentity: () => undefined,
        method: options.method ?? 'POST',
        path: options.path ?? '/',
        headers: {
          host: options.host ?? SNI,
          'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(options.method === 'GET' ? undefined : (options.body ?? ''));
  });
}

async function form(overrides: Record<string, string | undefined> = {}, extra = ''): Promise<string> {
  const fields: Record<string, string | undefined> = {
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER,
    client_assertion: await issuer.mint({
      namespace: 'team',
      serviceAccount: 'app',
      audience: 'api://AKSIdentityBinding',
    }),
    client_id: CLIENT,
    scope: SCOPE,
    ...overrides,
  };
  const entries = Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined);
  return new URLSearchParams(entries).toString() + extra;
}

describe('the fake identity-binding endpoint', () => {
  it('answers the request upstream sends with an Entra token the fake registries accept', async () => {
    const answer = await send({ body: await form() });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ expires_in: 3600 });
    const claims = await signer.verify(answer.body.access_token as string, 'https://containerregistry.azure.net');
    expect(claims).toMatchObject({ appid: CLIENT, tid: 't' });
  });

  it.each([
    {
      name: 'another TLS server name',
      send: { servername: 'other.test' },
      status: 421,
      error: /TLS server name other.test/,
    },
    { name: 'another Host', send: { host: 'other.test' }, status: 421, error: /Host other.test/ },
    { name: 'another path', send: { path: '/token' }, status: 404, error: /no endpoint at \/token/ },
    { name: 'GET', send: { method: 'GET' }, status: 405, error: /takes POST/ },
    { name: 'JSON instead of a form', send: { contentType: 'application/json' }, status: 415, error: /not a form/ },
  ])('$name -> $status', async ({ send: changes, status, error }) => {
    const answer = await send({ body: await form(), ...changes });
    expect(answer.status).toBe(status);
    expect(answer.body.error_description).toMatch(error);
  });

  it.each([
    { name: 'another grant', fields: { grant_type: 'password' }, status: 400, error: /grant_type password/ },
    {
      name: 'no assertion type',
      fields: { client_assertion_type: undefined },
      status: 400,
      error: /missing field client_assertion_type/,
    },
    {
      name: 'two scopes',
      fields: { scope: `${SCOPE} openid` },
      status: 400,
      error: /is not https:\/\/containerregistry/,
    },
    {
      name: 'another resource',
      fields: { scope: 'https://management.azure.com/.default' },
      status: 400,
      error: /scope/,
    },
    { name: 'no client id', fields: { client_id: undefined }, status: 400, error: /missing field client_id/ },
    {
      name: 'an unknown field',
      fields: {},
      extra: '&client_secret=x',
      status: 400,
      error: /unexpected field client_secret/,
    },
    { name: 'a field twice', fields: {}, extra: `&client_id=${CLIENT}`, status: 400, error: /client_id given twice/ },
    {
      name: 'a client no binding names',
      fields: { client_id: 'other' },
      status: 403,
      error: /no identity binding for managed identity other/,
    },
  ])('form: $name -> $status', async ({ fields, extra, status, error }) => {
    const answer = await send({ body: await form(fields, extra) });
    expect(answer.status).toBe(status);
    expect(answer.body.error_description).toMatch(error);
  });

  it.each([
    {
      name: "Entra's audience",
      mint: () => issuer.mint({ serviceAccount: 'app', namespace: 'team', audience: 'api://AzureADTokenExchange' }),
      status: 401,
    },
    {
      name: 'expired',
      mint: () =>
        issuer.mint({
          serviceAccount: 'app',
          namespace: 'team',
          audience: 'api://AKSIdentityBinding',
          expiresInSeconds: -60,
        }),
      status: 401,
    },
    {
      name: 'signed by another issuer',
      mint: () => stranger.mint({ serviceAccount: 'app', namespace: 'team', audience: 'api://AKSIdentityBinding' }),
      status: 401,
    },
    {
      name: 'a service account the binding does not allow',
      mint: () => issuer.mint({ serviceAccount: 'other', namespace: 'team', audience: 'api://AKSIdentityBinding' }),
      status: 403,
    },
  ])('token: $name -> $status', async ({ mint, status }) => {
    const answer = await send({ body: await form({ client_assertion: await mint() }) });
    expect(answer.status).toBe(status);
  });
});

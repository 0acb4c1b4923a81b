/**
 * The three small HTTP calls, each against a strict local fake: ACR's /oauth2/exchange (upstream
 * TestPerformTokenExchange, research/azure-acr.md §3.6, plus the malformed answers upstream
 * tolerates), Entra's error text, and the IMDS request shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aadstsText } from '../../../adapters/acr/entra.ts';
import { exchangeForRefreshToken, expiryOf } from '../../../adapters/acr/exchange.ts';
import { imdsTokenUrl } from '../../../adapters/acr/imds.ts';
import { CredkitError, createHttp, createLogger } from '../../../core/index.ts';
import { createTestCA, type FakeResponse, type FakeServer, startFakeServer } from '../../../core/testing/index.ts';

// exp 2030-01-01T00:00:00Z; header {"alg":"none"}
const REFRESH = `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ exp: 1893456000 })).toString('base64url')}.`;

let server: FakeServer;
let answer: FakeResponse = {};
let ctx: Parameters<typeof exchangeForRefreshToken>[0];

beforeAll(async () => {
  const ca = await createTestCA();
  server = await startFakeServer({ ca, hosts: ['127.0.0.1'], handler: () => answer, name: 'acr' });
  ctx = {
    http: createHttp({ env: { NODE_EXTRA_CA_CERTS: ca.caFile } }),
    signal: new AbortController().signal,
    log: createLogger({ write: () => {} }),
  };
});
afterAll(async () => server?.close());

const exchange = () =>
  exchangeForRefreshToken(ctx, {
    challenge: { realm: `${server.url}/oauth2/token`, service: 'test.azurecr.io' },
    accessToken: 'aad-access-token',
    tenant: 'test-tenant',
    who: 'managed identity test-client',
  });

describe('exchangeForRefreshToken (upstream TestPerformTokenExchange)', () => {
  it('POSTs the documented form to /oauth2/exchange on the realm host and returns the refresh token with its exp', async () => {
    answer = { body: { refresh_token: REFRESH } };
    server.resetCalls();
    await expect(exchange()).resolves.toEqual({ token: REFRESH, expiresAt: new Date('2030-01-01T00:00:00Z') });
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url.pathname).toBe('/oauth2/exchange');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      grant_type: 'access_token',
      service: 'test.azurecr.io',
      tenant: 'test-tenant',
      access_token: 'aad-access-token',
    });
    expect(request?.headers.authorization).toBeUndefined();
  });

  it.each([
    {
      name: '404 (upstream: responded with status code 404)',
      answer: { status: 404, body: 'nope' },
      kind: 'unavailable',
      error: /refused the token exchange for managed identity test-client: status 404/,
    },
    {
      name: '401 with an ACR error body',
      answer: { status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: 'aad token rejected' }] } },
      kind: 'denied',
      error:
        /refused the token exchange for managed identity test-client: UNAUTHORIZED aad token rejected: check that test.azurecr.io allows Entra ID/,
    },
    {
      name: '200 without refresh_token (upstream: empty password)',
      answer: { body: {} },
      kind: 'unavailable',
      error: /without a refresh_token/,
    },
    {
      name: '200 with HTML',
      answer: { body: '<html>proxy login</html>' },
      kind: 'unavailable',
      error: /without a refresh_token/,
    },
    {
      name: '200 with a JSON list',
      answer: { body: [REFRESH] },
      kind: 'unavailable',
      error: /without a refresh_token/,
    },
    {
      name: 'refresh_token not a string',
      answer: { body: { refresh_token: 42 } },
      kind: 'unavailable',
      error: /without a refresh_token/,
    },
    {
      name: 'a body over the 64 KiB cap',
      answer: { body: { refresh_token: 'x'.repeat(70_000) } },
      kind: 'unavailable',
      error: /larger than 65536 bytes/,
    },
  ])('$name -> $kind', async (c) => {
    answer = c.answer;
    const error = await exchange().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(CredkitError);
    expect((error as CredkitError).kind).toBe(c.kind);
    expect((error as Error).message).toMatch(c.error);
    expect((error as Error).message).not.toContain('aad-access-token');
  });
});

describe('expiryOf', () => {
  it.each([
    { name: 'JWT with exp', token: REFRESH, expiry: { expiresAt: new Date('2030-01-01T00:00:00Z') } },
    { name: 'JWT without exp', token: `eyJhbGciOiJub25lIn0.${Buffer.from('{}').toString('base64url')}.`, expiry: {} },
    { name: 'opaque token', token: 'opaque-refresh-token', expiry: {} },
  ])('$name', ({ token, expiry }) => {
    expect(expiryOf(token)).toEqual(expiry);
  });
});

describe('aadstsText: the first line of Entra error_description', () => {
  it.each([
    {
      name: 'CRLF separated trace lines',
      body: {
        error: 'invalid_client',
        error_description:
          'AADSTS70021: No matching federated identity record found.\r\nTrace ID: 1\r\nCorrelation ID: 2',
      },
      text: 'AADSTS70021: No matching federated identity record found.',
    },
    {
      name: 'space separated trace ids',
      body: {
        error: 'unauthorized_client',
        error_description:
          "AADSTS700016: Application with identifier 'x' was not found. Trace ID: 1 Correlation ID: 2 Timestamp: 3",
      },
      text: "AADSTS700016: Application with identifier 'x' was not found.",
    },
    { name: 'only error', body: { error: 'temporarily_unavailable' }, text: 'temporarily_unavailable' },
    { name: 'not JSON', body: undefined, text: undefined },
  ])('$name', ({ body, text }) => {
    expect(aadstsText(body)).toBe(text);
  });
});

describe('IMDS request (upstream getManagedIdentityCredential)', () => {
  const base =
    'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fcontainerregistry.azure.net';
  it.each([
    { name: 'system-assigned', id: undefined, env: {}, url: base },
    { name: 'client id', id: 'test-client-id', env: {}, url: `${base}&client_id=test-client-id` },
    {
      name: 'ARM resource id (contains /SUBSCRIPTIONS/ in any case)',
      id: '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kubelet',
      env: {},
      url: `${base}&msi_res_id=%2Fsubscriptions%2Fs%2Fresourcegroups%2Frg%2Fproviders%2FMicrosoft.ManagedIdentity%2FuserAssignedIdentities%2Fkubelet`,
    },
    {
      name: 'AZURE_POD_IDENTITY_AUTHORITY_HOST moves the endpoint',
      id: undefined,
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:2579/' },
      url: base.replace('169.254.169.254', '127.0.0.1:2579'),
    },
  ])('$name', ({ id, env, url }) => {
    expect(imdsTokenUrl(env, id)).toBe(url);
  });
});

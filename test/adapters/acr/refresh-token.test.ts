/**
 * ACR's /oauth2/exchange against a strict local fake (upstream TestPerformTokenExchange,
 * research/azure-acr.md §3.6, plus the malformed answers upstream tolerates), and the refresh
 * token's expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeForRefreshToken, expiryOf } from '../../../adapters/acr/refresh-token.ts';
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
      error: /answered 200 without a valid refresh_token/,
    },
    {
      name: '200 with HTML',
      answer: { body: '<html>proxy login</html>' },
      kind: 'unavailable',
      error: /answered 200 with a body it cannot read/,
    },
    {
      name: '200 with a JSON list',
      answer: { body: [REFRESH] },
      kind: 'unavailable',
      error: /answered 200 without a valid body/,
    },
    {
      name: 'refresh_token not a string',
      answer: { body: { refresh_token: 42 } },
      kind: 'unavailable',
      error: /answered 200 without a valid refresh_token/,
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

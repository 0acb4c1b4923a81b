import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttp } from '../../../core/http.ts';
import { type FakeWorld, startFakeWorld } from '../../../core/testing/world.ts';

let world: FakeWorld;
beforeAll(async () => {
  world = await startFakeWorld();
});
afterAll(() => world.close());

describe('fake world', () => {
  it('refuses hosts nobody serves, so tests cannot reach the internet', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(world.proxy.port, '127.0.0.1', () =>
        socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'),
      );
      socket.on('data', (data) => {
        resolve(data.toString().split('\r\n')[0] as string);
        socket.destroy();
      });
    });
    expect(answer).toBe('HTTP/1.1 502 Bad Gateway');
    expect(world.proxy.refused).toContain('example.com:443');
  });

  it('serves the issuer discovery document and JWKS over HTTPS', async () => {
    const http = createHttp({ env: world.env });
    const discovery = JSON.parse((await http.request(`${world.issuer.issuer}/.well-known/openid-configuration`)).text);
    expect(discovery.issuer).toBe(world.issuer.issuer);
    const jwks = JSON.parse((await http.request(discovery.jwks_uri)).text);
    expect(jwks.keys[0].kty).toBe('RSA');
  });

  it('verifies tokens like a cloud would: signature, audience, expiry', async () => {
    const good = await world.issuer.mint({ audience: 'aud-a' });
    await expect(world.issuer.verify(good, { audience: 'aud-a' })).resolves.toMatchObject({
      sub: 'system:serviceaccount:default:default',
    });
    await expect(world.issuer.verify(good, { audience: 'aud-b' })).rejects.toThrow();
    const expired = await world.issuer.mint({ audience: 'aud-a', expiresInSeconds: -120 });
    await expect(world.issuer.verify(expired, { audience: 'aud-a' })).rejects.toThrow();
    const [header, payload] = good.split('.');
    await expect(world.issuer.verify(`${header}.${payload}.AAAA`, { audience: 'aud-a' })).rejects.toThrow();
  });

  it('counts calls and injects faults per endpoint', async () => {
    const server = await world.serve(['api.faults.test'], () => ({ body: { ok: true } }), {
      label: (req) => req.url.pathname,
    });
    server.faults.push('/token', { status: 429, headers: { 'retry-after': '1' } }, 2);
    const http = createHttp({ env: world.env });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await http.request('https://api.faults.test/token')).status);
    expect(statuses).toEqual([429, 429, 200]);
    expect(server.calls('/token')).toBe(3);
    expect(server.calls('/other')).toBe(0);
  });
});

// The fake servers' transport faults, as the transports classify them (core/fault.ts).
describe('fake server transport faults', () => {
  it.each([
    { transport: 'reset' as const, fault: 'reset' },
    { transport: 'truncate' as const, fault: 'truncated' },
    { transport: 'trickle' as const, fault: 'slow' },
  ])('$transport reads as $fault', async ({ transport, fault }) => {
    const server = await world.serve([`${transport}.faults.test`], () => ({ body: { ok: true } }));
    server.faults.push('*', { transport, trickleMs: 50 });
    const http = createHttp({ env: world.env });
    const error = await http.request(`https://${transport}.faults.test/`, { timeoutMs: 500 }).catch((e) => e);
    expect(error).toMatchObject({ fault });
    expect(server.calls()).toBe(1);
    // The fault was used up: the next request gets the real answer.
    expect(JSON.parse((await http.request(`https://${transport}.faults.test/`)).text)).toEqual({ ok: true });
  });
});

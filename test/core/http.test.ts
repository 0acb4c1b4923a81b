import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredkitError } from '../../core/errors.ts';
import { bypassesProxy, createHttp, proxyFor } from '../../core/http.ts';
import { type FakeWorld, startFakeWorld } from '../../core/testing/world.ts';

describe('proxyFor follows the Go httpproxy conventions', () => {
  it.each([
    {
      name: 'HTTPS_PROXY for https',
      url: 'https://sts.amazonaws.com/',
      env: { HTTPS_PROXY: 'http://p:3128' },
      proxy: 'http://p:3128',
    },
    {
      name: 'lower-case https_proxy',
      url: 'https://sts.amazonaws.com/',
      env: { https_proxy: 'p:3128' },
      proxy: 'http://p:3128',
    },
    {
      name: 'HTTP_PROXY serves https too when alone',
      url: 'https://x.io/',
      env: { HTTP_PROXY: 'http://p:1' },
      proxy: 'http://p:1',
    },
    {
      name: 'plain http uses HTTP_PROXY only',
      url: 'http://169.254.169.254/',
      env: { HTTPS_PROXY: 'http://p:1' },
      proxy: undefined,
    },
    {
      name: 'NO_PROXY exact host',
      url: 'https://sts.amazonaws.com/',
      env: { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'sts.amazonaws.com' },
      proxy: undefined,
    },
    {
      name: 'NO_PROXY domain suffix',
      url: 'https://api.ecr.us-west-2.amazonaws.com/',
      env: { HTTPS_PROXY: 'http://p:1', no_proxy: '.amazonaws.com' },
      proxy: undefined,
    },
    {
      name: 'NO_PROXY suffix without dot',
      url: 'https://a.b.example.com/',
      env: { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.com' },
      proxy: undefined,
    },
    {
      name: 'NO_PROXY does not match a lookalike',
      url: 'https://notexample.com/',
      env: { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.com' },
      proxy: 'http://p:1',
    },
    {
      name: 'NO_PROXY wildcard',
      url: 'https://x.io/',
      env: { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' },
      proxy: undefined,
    },
    {
      name: 'NO_PROXY with port',
      url: 'https://x.io:8443/',
      env: { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'x.io:8443' },
      proxy: undefined,
    },
    {
      name: 'NO_PROXY other port',
      url: 'https://x.io/',
      env: { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'x.io:8443' },
      proxy: 'http://p:1',
    },
    {
      name: 'loopback never proxied',
      url: 'http://127.0.0.1:8080/',
      env: { HTTP_PROXY: 'http://p:1' },
      proxy: undefined,
    },
    {
      name: 'localhost never proxied',
      url: 'https://localhost:8443/',
      env: { HTTPS_PROXY: 'http://p:1' },
      proxy: undefined,
    },
    {
      name: 'NO_PROXY list with spaces',
      url: 'https://x.io/',
      env: { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'a.io, x.io' },
      proxy: undefined,
    },
  ])('$name', ({ url, env, proxy }) => {
    expect(proxyFor(new URL(url), env)).toBe(proxy);
  });

  it('NO_PROXY matches IPv6 literals', () => {
    expect(bypassesProxy(new URL('http://[fd00:ec2::254]/'), 'fd00:ec2::254')).toBe(true);
  });
});

describe('the HTTP layer reaches real hostnames through a CONNECT proxy with an extra CA', () => {
  let world: FakeWorld;
  beforeAll(async () => {
    world = await startFakeWorld();
    await world.serve(['api.example-cloud.test'], (req) => {
      if (req.url.pathname === '/big') return { body: 'x'.repeat(2048) };
      if (req.url.pathname === '/slow')
        return new Promise((resolve) => setTimeout(() => resolve({ body: 'late' }), 2000));
      return { body: { host: req.host, method: req.method, body: req.body } };
    });
  });
  afterAll(() => world.close());

  it('tunnels, trusts NODE_EXTRA_CA_CERTS, and sends the body', async () => {
    const http = createHttp({ env: world.env });
    const before = world.proxy.count('api.example-cloud.test');
    const res = await http.request('https://api.example-cloud.test/x', { method: 'POST', body: 'hello' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ host: 'api.example-cloud.test', method: 'POST', body: 'hello' });
    expect(world.proxy.count('api.example-cloud.test')).toBeGreaterThan(before);
  });

  it('fails TLS without the test CA', async () => {
    const { NODE_EXTRA_CA_CERTS: _, ...env } = world.env;
    const http = createHttp({ env });
    await expect(http.request('https://api.example-cloud.test/x')).rejects.toThrow(
      /cannot reach api\.example-cloud\.test/,
    );
  });

  it('refuses oversize bodies', async () => {
    const http = createHttp({ env: world.env });
    await expect(http.request('https://api.example-cloud.test/big', { maxBytes: 1024 })).rejects.toThrow(
      /larger than 1024 bytes/,
    );
  });

  it('times a request out and names the host', async () => {
    const http = createHttp({ env: world.env });
    const error = await http.request('https://api.example-cloud.test/slow', { timeoutMs: 200 }).catch((e) => e);
    expect(error).toBeInstanceOf(CredkitError);
    expect(error.message).toBe('request to api.example-cloud.test timed out');
  });

  it('ends with the overall deadline', async () => {
    const controller = new AbortController();
    const http = createHttp({ env: world.env, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const error = await http.request('https://api.example-cloud.test/slow').catch((e) => e);
    expect(error.kind).toBe('deadline');
  });

  it('reports an unreadable NODE_EXTRA_CA_CERTS as a usage error', () => {
    const http = createHttp({ env: { NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem' } });
    expect(() => http.agent).toThrow(/cannot read NODE_EXTRA_CA_CERTS file \/nonexistent\/ca\.pem/);
  });
});

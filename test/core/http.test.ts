import { createServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredkitError } from '../../core/errors.ts';
import { NetworkFault } from '../../core/fault.ts';
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
      /^TLS to api\.example-cloud\.test through the proxy 127\.0\.0\.1:\d+ failed: its certificate is not signed by a trusted CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): .*NODE_EXTRA_CA_CERTS/,
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
    expect(error.message).toMatch(
      /^api\.example-cloud\.test did not answer within 0\.2s through the proxy 127\.0\.0\.1:\d+: check that it is reachable/,
    );
  });

  it('ends with the overall deadline', async () => {
    const controller = new AbortController();
    const http = createHttp({ env: world.env, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const error = await http.request('https://api.example-cloud.test/slow').catch((e) => e);
    expect(error.kind).toBe('deadline');
  });

  it('trusts extra CA files an adapter names (AWS_CA_BUNDLE), without NODE_EXTRA_CA_CERTS', async () => {
    const { NODE_EXTRA_CA_CERTS: caFile = '', ...env } = world.env;
    const http = createHttp({ env, extraCAs: [{ file: caFile, source: 'AWS_CA_BUNDLE' }] });
    const res = await http.request('https://api.example-cloud.test/x');
    expect(res.status).toBe(200);
  });

  it.each([
    { name: 'NODE_EXTRA_CA_CERTS', env: { NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem' }, extraCAs: [] },
    { name: 'AWS_CA_BUNDLE', env: {}, extraCAs: [{ file: '/nonexistent/ca.pem', source: 'AWS_CA_BUNDLE' }] },
  ])('reports an unreadable $name file as a usage error', ({ name, env, extraCAs }) => {
    const http = createHttp({ env, extraCAs });
    expect(() => http.agent).toThrow(new RegExp(`cannot read ${name} file /nonexistent/ca\\.pem`));
  });
});

// Issue 11: bodies are bounded like headers; transport faults are classified once (fault.ts).
describe('the HTTP layer bounds and classifies every failure', () => {
  let world: FakeWorld;
  let refusing: Array<{ url: string; close(): Promise<void> }>;
  const proxied = (proxy: string) => ({
    ...world.env,
    HTTPS_PROXY: proxy,
    https_proxy: proxy,
    HTTP_PROXY: proxy,
    http_proxy: proxy,
  });
  beforeAll(async () => {
    world = await startFakeWorld();
    await world.serve(['faults.example-cloud.test'], () => ({ body: '{"ok":true}' }));
    refusing = await Promise.all(
      ['403 Forbidden', '407 Proxy Authentication Required', '503 Service Unavailable'].map(refusingProxy),
    );
  });
  afterAll(async () => {
    await Promise.all(refusing.map((proxy) => proxy.close()));
    await world.close();
  });

  it.each([
    {
      name: 'a trickling body, cut at the per-request timeout',
      init: { timeoutMs: 800 },
      deadlineMs: 10_000,
      line: /sent its answer too slowly: cut after 0\.8s/,
      kind: 'unavailable',
    },
    {
      name: 'a trickling body, cut at the deadline',
      init: { timeoutMs: 10_000 },
      deadlineMs: 800,
      line: /deadline/,
      kind: 'deadline',
    },
  ])('$name', async ({ init, deadlineMs, line, kind }) => {
    const server = await trickleServer(world);
    const http = createHttp({ env: world.env, signal: AbortSignal.timeout(deadlineMs) });
    const started = performance.now();
    const error = await http.request(`https://${server.host}/`, { ...init, what: 'the token service' }).catch((e) => e);
    expect(performance.now() - started).toBeLessThan(2500);
    expect(error).toBeInstanceOf(CredkitError);
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(line);
    await server.close();
  });

  it('an answer cut mid-body is truncated, and retried', async () => {
    const server = await cutServer(world);
    const error = await createHttp({ env: world.env })
      .request(`https://${server.host}/`)
      .catch((e) => e);
    expect(error).toBeInstanceOf(NetworkFault);
    expect(error.fault).toBe('truncated');
    expect(error.retry).toBe('transient');
    await server.close();
  });

  it.each([
    { status: 403, retry: 'final', line: /answered 403 Forbidden to CONNECT faults\.example-cloud\.test:443/ },
    { status: 407, retry: 'final', line: /answered 407 Proxy Authentication Required .*it wants credentials/ },
    { status: 503, retry: 'transient', line: /answered 503 Service Unavailable/ },
  ])(
    'a proxy refusing CONNECT with $status is named with its status, not read as the cloud’s answer',
    async ({ status, retry, line }) => {
      const proxy = refusing.find((p) => p.url.includes(`#${status}`))!;
      const http = createHttp({ env: proxied(proxy.url.replace(/#.*/, '')) });
      const error = await http.request('https://faults.example-cloud.test/', { what: 'STS' }).catch((e) => e);
      expect(error).toBeInstanceOf(NetworkFault);
      expect(error.fault).toBe('proxy');
      expect(error.retry).toBe(retry);
      expect(error.message).toMatch(/^the proxy 127\.0\.0\.1:\d+ /);
      expect(error.message).toMatch(line);
    },
  );

  it('a dead proxy is named, and retried', async () => {
    const http = createHttp({ env: proxied('http://127.0.0.1:9') });
    const error = await http.request('https://faults.example-cloud.test/').catch((e) => e);
    expect(error).toMatchObject({ fault: 'proxy', retry: 'transient' });
    expect(error.message).toMatch(/^the proxy 127\.0\.0\.1:9 refused the connection \(ECONNREFUSED\)/);
  });

  it('names the call in flight for the deadline', async () => {
    const server = await trickleServer(world);
    const http = createHttp({ env: world.env });
    expect(http.waitingFor()).toBeUndefined();
    const pending = http.request(`https://${server.host}/`, { timeoutMs: 500, what: 'STS' }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(http.waitingFor()).toMatch(/^STS \(trickle-\d+\.example-cloud\.test\) through the proxy 127\.0\.0\.1:\d+$/);
    await pending;
    expect(http.waitingFor()).toMatch(/^a retry of STS/);
    await server.close();
  });
});

/** A CONNECT proxy that refuses every tunnel with `status`; its url carries `#<code>` for the table. */
async function refusingProxy(status: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer();
  server.on('connect', (_req, socket: Socket) => {
    socket.on('error', () => {});
    socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}#${status.slice(0, 3)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let nextHost = 0;
/** A TLS server behind the world's proxy whose answer is shaped by `respond`. */
async function rawServer(world: FakeWorld, respond: (res: ServerResponse) => void) {
  const host = `trickle-${nextHost++}.example-cloud.test`;
  const leaf = await world.ca.issue([host]);
  const server = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => respond(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  world.route(host, 443, (server.address() as AddressInfo).port);
  return {
    host,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Headers at once, then one byte every 100 ms of a 1000-byte body. */
function trickleServer(world: FakeWorld) {
  return rawServer(world, (res) => {
    res.writeHead(200, { 'content-length': '1000' });
    const timer = setInterval(() => res.write('x'), 100);
    res.on('close', () => clearInterval(timer));
  });
}

/** Half an answer, then the connection closes. */
function cutServer(world: FakeWorld) {
  return rawServer(world, (res) => {
    res.writeHead(200, { 'content-length': '100', 'content-type': 'application/json' });
    res.write('{"token":');
    setTimeout(() => res.socket?.destroy(), 50);
  });
}

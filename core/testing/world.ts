/**
 * One call to set up what a provider test needs: a test CA, a token issuer, a CONNECT proxy, and a
 * way to put fake servers behind real hostnames. `world.env` is the environment a provider binary
 * needs to reach them, as a kubelet on a proxied node would pass it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCA, type TestCA } from './ca.ts';
import { type FakeIssuer, type FakeIssuerOptions, startFakeIssuer } from './issuer.ts';
import { type ConnectProxy, startConnectProxy } from './proxy.ts';
import { type FakeHandler, type FakeServer, type FakeServerOptions, startFakeServer } from './server.ts';

export interface FakeWorld {
  ca: TestCA;
  issuer: FakeIssuer;
  proxy: ConnectProxy;
  /** HTTPS_PROXY, NODE_EXTRA_CA_CERTS and SSL_CERT_FILE pointing at this world; NO_PROXY emptied. */
  env: Record<string, string>;
  /**
   * Serves `hosts` (port 443 unless a host says `name:port`) from a new fake server behind the
   * proxy. `tls: false` makes a plain HTTP server (metadata services), still routed by the proxy.
   */
  serve(
    hosts: string[],
    handler: FakeHandler,
    options?: Partial<Omit<FakeServerOptions, 'hosts' | 'handler'>> & { tls?: boolean },
  ): Promise<FakeServer>;
  /** Routes one more host:port to an existing local port. */
  route(host: string, port: number, localPort: number): void;
  servers: FakeServer[];
  /** A temporary directory of this world's (files a test writes for it); close() removes it. */
  dir: string;
  close(): Promise<void>;
}

export async function startFakeWorld(options: { issuer?: Omit<FakeIssuerOptions, 'ca'> } = {}): Promise<FakeWorld> {
  const ca = await createTestCA();
  const dir = mkdtempSync(join(tmpdir(), 'credkit-world-'));
  const routes = new Map<string, number>();
  const servers: FakeServer[] = [];
  const proxy = await startConnectProxy({ route: (host, port) => routes.get(`${host.toLowerCase()}:${port}`) });
  const issuer = await startFakeIssuer({ ...options.issuer, ca });
  if (issuer.server) routes.set(`${issuer.host}:443`, issuer.server.port);

  const route = (host: string, port: number, localPort: number) => {
    routes.set(`${host.toLowerCase()}:${port}`, localPort);
  };

  return {
    ca,
    issuer,
    proxy,
    dir,
    env: {
      HTTPS_PROXY: proxy.url,
      HTTP_PROXY: proxy.url,
      https_proxy: proxy.url,
      http_proxy: proxy.url,
      NO_PROXY: '',
      no_proxy: '',
      NODE_EXTRA_CA_CERTS: ca.caFile,
      SSL_CERT_FILE: ca.caFile,
    },
    servers,
    route,
    async serve(hosts, handler, serveOptions = {}) {
      const { tls = true, ...rest } = serveOptions;
      const names = hosts.map((host) => host.replace(/:\d+$/, ''));
      const server = await startFakeServer({ ...rest, ...(tls ? { ca } : {}), hosts: names, handler });
      for (const host of hosts) {
        const explicit = /:(\d+)$/.exec(host);
        const port = explicit ? Number(explicit[1]) : tls ? 443 : 80;
        route(host.replace(/:\d+$/, ''), port, server.port);
      }
      servers.push(server);
      return server;
    },
    async close() {
      await Promise.all([...servers.map((server) => server.close()), issuer.close(), proxy.close()]);
      for (const path of [ca.certDir, dir]) rmSync(path, { recursive: true, force: true });
    },
  };
}

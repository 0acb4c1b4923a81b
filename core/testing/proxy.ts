/**
 * A loopback CONNECT proxy. Providers under test keep their real cloud hostnames and reach the
 * fakes the way a node behind an egress proxy reaches the clouds: HTTPS_PROXY, CONNECT, TLS to the
 * real name (with a certificate from the test CA). Anything not routed is refused with 502, so a
 * test can never leak to the internet, and every CONNECT is counted per host.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** Maps a requested host and port to a local port, or undefined to refuse. */
export type ProxyRoute = (host: string, port: number) => number | undefined;

export interface ConnectProxy {
  url: string;
  port: number;
  /** CONNECTs (and absolute-form requests) seen, as `host:port`, in order; refused ones too. */
  connects: string[];
  refused: string[];
  count(host?: string): number;
  close(): Promise<void>;
}

export async function startConnectProxy(options: { route: ProxyRoute }): Promise<ConnectProxy> {
  const connects: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => forwardPlainHttp(req, res, options.route, connects, refused));

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const [host = '', portText = '443'] = splitTarget(req.url ?? '');
    const target = `${host}:${portText}`;
    connects.push(target);
    // A client may reset a refused tunnel before the 502 is written: that must not crash the test.
    client.on('error', () => client.destroy());
    const localPort = options.route(host, Number(portText));
    if (localPort === undefined) {
      refused.push(target);
      client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const upstream = connect(localPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connects,
    refused,
    count: (host) => connects.filter((c) => host === undefined || c.split(':')[0] === host).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function splitTarget(target: string): [string, string] {
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(target);
  if (bracket) return [bracket[1] as string, bracket[2] as string];
  const colon = target.lastIndexOf(':');
  return colon < 0 ? [target, '443'] : [target.slice(0, colon), target.slice(colon + 1)];
}

/** Absolute-form `GET http://host/path` requests, as Go clients send for plain-HTTP targets. */
function forwardPlainHttp(
  req: IncomingMessage,
  res: ServerResponse,
  route: ProxyRoute,
  connects: string[],
  refused: string[],
): void {
  let target: URL;
  try {
    target = new URL(req.url ?? '');
  } catch {
    res.writeHead(400).end();
    return;
  }
  const port = Number(target.port || 80);
  connects.push(`${target.hostname}:${port}`);
  const localPort = route(target.hostname, port);
  if (localPort === undefined) {
    refused.push(`${target.hostname}:${port}`);
    res.writeHead(502).end();
    return;
  }
  const upstream = httpRequest(
    {
      host: '127.0.0.1',
      port: localPort,
      method: req.method,
      path: target.pathname + target.search,
      headers: req.headers,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
}

/**
 * The base of every fake cloud endpoint: an HTTPS (or plain HTTP, for metadata services) server on
 * loopback, with per-endpoint call counts and fault injection, so a test can say "the next three
 * GetAuthorizationToken calls are throttled" and then assert how many calls were made.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TestCA } from './ca.ts';

export interface FakeRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The Host header's host name (without port). */
  host: string;
  /** The TLS server name (SNI) the client sent; undefined over plain HTTP or when it sent none. */
  servername?: string;
  /**
   * The endpoint this request is, as the handler names it (`GetAuthorizationToken`, `token`...).
   * Set it before returning so counts and faults apply; `fakeServer.label` can set it up front.
   */
  endpoint?: string;
  /** performance.now() when the request arrived: orders requests across servers. */
  receivedAt?: number;
  /** The status the fake answered with (set once the answer is written). */
  status?: number;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

export interface Fault extends FakeResponse {
  /** Wait this long before answering (or before the real handler runs, when no status is set). */
  delayMs?: number;
  /**
   * How the connection misbehaves instead of answering: `reset` closes it before any answer;
   * `truncate` sends the status, headers and half the body, then closes; `trickle` sends the
   * headers, then one byte of the body every `trickleMs` (default 500), never finishing.
   */
  transport?: 'reset' | 'truncate' | 'trickle';
  trickleMs?: number;
}

export type FakeHandler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeServerOptions {
  /** TLS from this CA; omit for plain HTTP (metadata servers). */
  ca?: TestCA;
  hosts: string[];
  handler: FakeHandler;
  /**
   * Names the endpoint of a request before faults are consulted (faults need the name before the
   * handler runs). Default: `METHOD path`.
   */
  label?: (req: FakeRequest) => string;
  name?: string;
}

export interface FaultQueue {
  /**
   * The next `times` requests to `endpoint` get this fault instead of (or, delay only, before) the
   * real answer. Endpoint `*` is any request no endpoint-specific fault is queued for.
   */
  push(endpoint: string, fault: Fault, times?: number): void;
  clear(): void;
}

export interface FakeServer {
  name: string;
  hosts: string[];
  port: number;
  /** `https://127.0.0.1:port` (or http). Tests reach it by real host name through the proxy instead. */
  url: string;
  faults: FaultQueue;
  /** Calls so far to `endpoint`, or to every endpoint. */
  calls(endpoint?: string): number;
  /** Every request seen, in order (bodies included: for assertions only, never print them). */
  requests: FakeRequest[];
  resetCalls(): void;
  close(): Promise<void>;
}

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const faults = new Map<string, Fault[]>();
  const label = options.label ?? ((req: FakeRequest) => `${req.method} ${req.url.pathname}`);

  const listener = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const receivedAt = performance.now();
    const req = await readRequest(incoming);
    req.receivedAt = receivedAt;
    req.endpoint = label(req);
    requests.push(req);
    const fault = faults.get(req.endpoint)?.shift() ?? faults.get('*')?.shift();
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.transport) {
      req.status = 0;
      misbehave(outgoing, fault);
      return;
    }
    let res: FakeResponse;
    try {
      res = fault?.status ? fault : await options.handler(req);
    } catch (error) {
      res = { status: 500, body: { error: 'fake handler failed', detail: (error as Error).message } };
    }
    req.status = res.status ?? 200;
    if (!outgoing.destroyed) writeResponse(outgoing, res);
  };

  let server: Server;
  if (options.ca) {
    const leaf = await options.ca.issue(options.hosts);
    server = createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, listener);
  } else {
    server = createHttpServer(listener);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    name: options.name ?? options.hosts[0] ?? 'fake',
    hosts: options.hosts,
    port,
    url: `${options.ca ? 'https' : 'http'}://127.0.0.1:${port}`,
    faults: {
      push(endpoint, fault, times = 1) {
        const queue = faults.get(endpoint) ?? [];
        for (let i = 0; i < times; i++) queue.push(fault);
        faults.set(endpoint, queue);
      },
      clear: () => faults.clear(),
    },
    calls: (endpoint) => requests.filter((req) => endpoint === undefined || req.endpoint === endpoint).length,
    requests,
    resetCalls: () => {
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

async function readRequest(incoming: IncomingMessage): Promise<FakeRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const hostHeader = incoming.headers.host ?? 'localhost';
  const servername = (incoming.socket as TLSSocket).servername;
  return {
    method: incoming.method ?? 'GET',
    url: new URL(incoming.url ?? '/', `https://${hostHeader}`),
    headers: incoming.headers,
    body: Buffer.concat(chunks).toString('utf8'),
    host: hostHeader.replace(/:\d+$/, ''),
    ...(typeof servername === 'string' && servername ? { servername } : {}),
  };
}

/** The transport faults: the answer a flaky network or a hostile server gives. */
function misbehave(outgoing: ServerResponse, fault: Fault): void {
  if (fault.transport === 'reset') {
    outgoing.socket?.destroy();
    return;
  }
  const body = typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body ?? { token: 'x'.repeat(64) });
  outgoing.writeHead(fault.status ?? 200, {
    'content-type': 'application/json',
    'content-length': String(body.length),
  });
  if (fault.transport === 'truncate') {
    outgoing.write(body.slice(0, Math.floor(body.length / 2)));
    setTimeout(() => outgoing.socket?.destroy(), 20);
    return;
  }
  let sent = 0;
  const timer = setInterval(() => {
    if (sent >= body.length - 1 || outgoing.destroyed) return clearInterval(timer);
    outgoing.write(body[sent++]!);
  }, fault.trickleMs ?? 500);
  outgoing.on('close', () => clearInterval(timer));
}

function writeResponse(outgoing: ServerResponse, res: FakeResponse): void {
  const isText = typeof res.body === 'string';
  const body = res.body === undefined ? '' : isText ? (res.body as string) : JSON.stringify(res.body);
  const headers: Record<string, string> = { ...(res.headers ?? {}) };
  if (!isText && res.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  outgoing.writeHead(res.status ?? 200, headers);
  outgoing.end(body);
}

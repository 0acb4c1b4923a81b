/**
 * The proxy- and CA-aware HTTP layer. Node's fetch and the AWS SDK ignore HTTPS_PROXY, the Go
 * providers honour it, and nodes behind egress proxies depend on that; so every outbound call of a
 * credkit provider goes through one agent that:
 *  - tunnels with CONNECT through HTTPS_PROXY / HTTP_PROXY (either case) unless NO_PROXY matches;
 *  - trusts the system roots plus every certificate in NODE_EXTRA_CA_CERTS, read explicitly so the
 *    behaviour is the same whichever runtime a compiled binary embeds.
 * Adapters hand `http.httpsAgent` to their SDKs and use `http.request` for small calls of their own.
 */
import { readFileSync } from 'node:fs';
import type { ClientRequest, Agent as HttpAgent } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { Agent as AgentBase, AgentConnectOpts } from 'agent-base';
import type { HttpsProxyAgent } from 'https-proxy-agent';
import type { Env } from './env.ts';
import { CredkitError } from './errors.ts';
import { AnswerTooLarge, type CallSite, describeNetworkError, proxyHost, subjectOf } from './fault.ts';
import { fetchBounded, runtimeFetchApplies } from './http-fetch.ts';

/*
 * The node networking stack is loaded on first use, not at start-up: in a compiled binary it costs
 * more than the rest of an exec that never needs it (bench/RESULTS.md). Builtins come from
 * process.getBuiltinModule; the two packages from `require`, which bun's bundler sees (and bundles
 * lazily) only as literal require('...') calls, and which Node's ESM lacks (hence createRequire).
 */
const nodeRequire = typeof require === 'function' ? undefined : createRequire(import.meta.url);
const builtin = <T>(name: string): T => process.getBuiltinModule(name) as T;
const agentBase = (): typeof import('agent-base') => (nodeRequire ? nodeRequire('agent-base') : require('agent-base'));
const httpsProxyAgent = (): typeof import('https-proxy-agent') =>
  nodeRequire ? nodeRequire('https-proxy-agent') : require('https-proxy-agent');

/** The proxy URL for a target, following the Go `httpproxy` conventions the kubelet's plugins use. */
export function proxyFor(target: URL, env: Env): string | undefined {
  const secure = target.protocol === 'https:';
  const proxy = secure
    ? (env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy)
    : (env.HTTP_PROXY ?? env.http_proxy);
  if (!proxy) return undefined;
  if (isLoopback(target.hostname) || bypassesProxy(target, env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
  return proxy.includes('://') ? proxy : `http://${proxy}`;
}

/** As Go's httpproxy: localhost and loopback addresses never go through a proxy. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host);
}

/** NO_PROXY: `*`, exact hosts, domain suffixes (`.example.com` or `example.com`), host:port, CIDR-free IPs. */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      const [entryHost = '', entryPort] = splitEntry(entry.toLowerCase());
      if (entryPort && entryPort !== port) return false;
      const bare = entryHost.replace(/^\*?\./, '');
      return host === bare || host.endsWith(`.${bare}`);
    });
}

function splitEntry(entry: string): [string, string?] {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
  return match ? [match[1]!.replace(/^\[|\]$/g, ''), match[2]] : [entry];
}

/** A PEM file of CAs to trust besides the system roots, and the setting that named it (for errors). */
export interface ExtraCA {
  file: string;
  /** `AWS_CA_BUNDLE`, `--ca-file`: said when the file cannot be read. */
  source: string;
}

/**
 * System roots plus NODE_EXTRA_CA_CERTS plus `extra` (an adapter's own setting, such as
 * AWS_CA_BUNDLE), or undefined when there is nothing extra (use defaults).
 */
export function trustedCAs(env: Env, extra: readonly ExtraCA[] = []): string[] | undefined {
  const files = [
    ...(env.NODE_EXTRA_CA_CERTS ? [{ file: env.NODE_EXTRA_CA_CERTS, source: 'NODE_EXTRA_CA_CERTS' }] : []),
    ...extra,
  ];
  if (files.length === 0) return undefined;
  const pems = files.map(({ file, source }) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      throw new CredkitError('usage', `cannot read ${source} file ${file}: fix the path or unset it`);
    }
  });
  return [...builtin<typeof import('node:tls')>('node:tls').rootCertificates, ...pems];
}

/** One agent for every request: decides per target whether to tunnel, and which CAs to trust. */
function defineEnvProxyAgent(): new (env: Env, extraCAs?: readonly ExtraCA[]) => EnvProxyAgent {
  const { Agent } = agentBase();
  const { HttpsProxyAgent } = httpsProxyAgent();
  const net = builtin<typeof import('node:net')>('node:net');
  const tls = builtin<typeof import('node:tls')>('node:tls');
  return class EnvProxyAgent extends Agent {
    readonly #env: Env;
    readonly #ca: string[] | undefined;
    readonly #tunnels = new Map<string, HttpsProxyAgent<string>>();

    constructor(env: Env, extraCAs: readonly ExtraCA[] = []) {
      super({ keepAlive: true });
      this.#env = env;
      this.#ca = trustedCAs(env, extraCAs);
    }

    override connect(req: ClientRequest, options: AgentConnectOpts): Duplex | HttpAgent | Promise<Duplex | HttpAgent> {
      const scheme = options.secureEndpoint ? 'https' : 'http';
      const target = new URL(`${scheme}://${req.host}:${options.port}`);
      const proxy = proxyFor(target, this.#env);
      const ca = this.#ca ? { ca: this.#ca } : {};
      if (proxy) return this.#throughProxy(proxy, req, { ...options, ...ca } as AgentConnectOpts);
      if (options.secureEndpoint) {
        const servername = net.isIP(options.host ?? '') ? undefined : options.host;
        return tls.connect({ ...options, ...ca, ...(servername ? { servername } : {}) });
      }
      return net.connect(options);
    }

    /**
     * https-proxy-agent answers a refused CONNECT (403, 407, 5xx) with a fake socket that replays
     * the proxy's answer as if the target had sent it: a proxy's 403 would read as the cloud's
     * refusal. The refusal is an error instead, carrying the proxy's status as bun's fetch does.
     */
    async #throughProxy(proxy: string, req: ClientRequest, options: AgentConnectOpts): Promise<Duplex | HttpAgent> {
      let answer: { statusCode: number; statusText: string } | undefined;
      req.once('proxyConnect', (connect: { statusCode: number; statusText: string }) => {
        answer = connect;
      });
      const socket = await this.#tunnel(proxy).connect(req, options);
      if (answer && answer.statusCode !== 200) {
        (socket as Duplex).destroy();
        throw Object.assign(new Error(`the proxy answered ${answer.statusCode} to CONNECT`), {
          code: 'ERR_PROXY_TUNNEL',
          status: answer.statusCode,
          statusText: answer.statusText,
        });
      }
      return socket;
    }

    #tunnel(proxy: string): HttpsProxyAgent<string> {
      let agent = this.#tunnels.get(proxy);
      if (!agent) {
        agent = new HttpsProxyAgent(proxy, this.#ca ? { ca: this.#ca } : {});
        this.#tunnels.set(proxy, agent);
      }
      return agent;
    }
  };
}

let envProxyAgentClass: (new (env: Env, extraCAs?: readonly ExtraCA[]) => EnvProxyAgent) | undefined;
/** An agent-base Agent, so an http.Agent any SDK handler accepts. */
export type EnvProxyAgent = AgentBase;
/** `new EnvProxyAgent(env)`; the class itself is defined when the first one is made (see above). */
export const EnvProxyAgent = function EnvProxyAgent(env: Env, extraCAs?: readonly ExtraCA[]): EnvProxyAgent {
  envProxyAgentClass ??= defineEnvProxyAgent();
  return new envProxyAgentClass(env, extraCAs);
} as unknown as new (
  env: Env,
  extraCAs?: readonly ExtraCA[],
) => EnvProxyAgent;

/** Dials the pinned address with the URL's host as the TLS server name (see `HttpOptions.pinned`). */
function definePinnedAgent(): new (route: PinnedRoute) => EnvProxyAgent {
  const { Agent } = agentBase();
  const tls = builtin<typeof import('node:tls')>('node:tls');
  return class PinnedAgent extends Agent {
    readonly #route: PinnedRoute;

    constructor(route: PinnedRoute) {
      super({ keepAlive: true });
      this.#route = route;
    }

    override connect(_req: ClientRequest, options: AgentConnectOpts): Duplex {
      if (!options.secureEndpoint) throw new Error('a pinned route takes https only');
      const { address, port, ca } = this.#route;
      return tls.connect({ ...options, host: address, port, servername: options.host, ca, minVersion: 'TLSv1.2' });
    }
  };
}

let pinnedAgentClass: (new (route: PinnedRoute) => EnvProxyAgent) | undefined;
const PinnedAgent = function PinnedAgent(route: PinnedRoute): EnvProxyAgent {
  pinnedAgentClass ??= definePinnedAgent();
  return new pinnedAgentClass(route);
} as unknown as new (
  route: PinnedRoute,
) => EnvProxyAgent;

export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Per-request timeout (default 10 s), headers and body alike; the overall deadline still applies. */
  timeoutMs?: number;
  /** Response bodies above this are refused (default 1 MiB): a credential answer is small. */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Names the call in failure messages and in the deadline's ("STS AssumeRoleWithWebIdentity"). */
  what?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface Http {
  /** For node:https callers and SDK handlers (AWS NodeHttpHandler, Azure, Google). */
  readonly agent: EnvProxyAgent;
  /**
   * A small, bounded request: rejects on timeout (of the headers or of a body that trickles), abort
   * or oversize body, with a classified NetworkFault (fault.ts) that names the endpoint.
   */
  request(url: string | URL, init?: HttpRequestInit): Promise<HttpResponse>;
  /**
   * What the exec is waiting for, for the deadline's message: the newest call in flight
   * (`STS (sts.amazonaws.com)`), else a retry of the last one; undefined before any call.
   */
  waitingFor(): string | undefined;
}

export interface HttpOptions {
  env: Env;
  /** The overall deadline's signal; every request also ends with it. */
  signal?: AbortSignal;
  defaultTimeoutMs?: number;
  /**
   * CAs to trust besides the system roots and NODE_EXTRA_CA_CERTS. Requests then take the node
   * stack even in a compiled bun binary: bun's fetch trusts only what it read at start-up.
   */
  extraCAs?: readonly ExtraCA[];
  /**
   * Every request goes straight to this address instead, never through a proxy, and trusts only
   * these CAs; the URL's host is still the TLS server name and the Host header. For a call inside
   * the cluster (AKS identity bindings: the API server's IP, the cluster CA).
   */
  pinned?: PinnedRoute;
}

/** A fixed route for every request of one Http: see `HttpOptions.pinned`. */
export interface PinnedRoute {
  /** An IP address or a name, dialled in place of the URL's host. */
  address: string;
  port: number;
  /** PEM certificates: the only roots trusted. */
  ca: string[];
}

export function createHttp(options: HttpOptions): Http {
  let agent: EnvProxyAgent | undefined;
  const extraCAs = options.extraCAs ?? [];
  const pinned = options.pinned;
  const lazyAgent = () => {
    agent ??= pinned ? new PinnedAgent(pinned) : new EnvProxyAgent(options.env, extraCAs);
    return agent;
  };
  const inFlight: CallSite[] = [];
  let last: CallSite | undefined;
  return {
    get agent() {
      return lazyAgent();
    },
    request: async (url, init = {}) => {
      const target = new URL(url);
      const proxy = pinned ? undefined : proxyFor(target, options.env);
      const site: CallSite = {
        url: target,
        ...(init.what ? { what: init.what } : {}),
        ...(proxy ? { proxy } : {}),
        timeoutMs: init.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        maxBytes: init.maxBytes ?? DEFAULT_MAX_BYTES,
      };
      inFlight.push(site);
      last = site;
      try {
        return await send(
          site,
          init,
          { env: options.env, agent: lazyAgent, fetchApplies: extraCAs.length === 0 && !pinned },
          options.signal,
        );
      } finally {
        inFlight.splice(inFlight.indexOf(site), 1);
      }
    },
    waitingFor: () => {
      const current = inFlight.at(-1);
      if (current)
        return `${subjectOf(current)}${current.proxy ? ` through the proxy ${proxyHost(current.proxy)}` : ''}`;
      return last ? `a retry of ${subjectOf(last)}` : undefined;
    },
  };
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 1 << 20;

function send(
  site: CallSite,
  init: HttpRequestInit,
  transport: { env: Env; agent: () => EnvProxyAgent; fetchApplies: boolean },
  deadline?: AbortSignal,
): Promise<HttpResponse> {
  const { url, proxy } = site;
  const maxBytes = site.maxBytes ?? DEFAULT_MAX_BYTES;
  // One signal for the whole exchange, headers and body: a body trickling a byte a second is cut
  // at the per-request timeout (and the deadline), not only a server that never answers.
  const timeout = AbortSignal.timeout(site.timeoutMs);
  const signals = [timeout, deadline, init.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = AbortSignal.any(signals);
  const fail = (error: unknown) => Promise.reject(describeNetworkError(error, site, signal, timeout.aborted));
  if (transport.fetchApplies && runtimeFetchApplies(transport.env, proxy)) {
    const input = {
      method: init.method ?? 'GET',
      headers: init.headers,
      body: init.body,
      maxBytes,
      signal,
      proxy,
      onHeaders: () => {
        site.answering = true;
      },
    };
    return fetchBounded(url, input).catch(fail);
  }
  const call = builtin<typeof import('node:https')>(url.protocol === 'https:' ? 'node:https' : 'node:http').request;
  const agent = transport.agent();
  site.answering = false;
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = call(url, { method: init.method ?? 'GET', headers: init.headers, agent, signal }, (res) => {
      site.answering = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          res.destroy();
          reject(new AnswerTooLarge(`over ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        // A connection closed before Content-Length was reached ends the stream without an error.
        if (!res.complete) return reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  }).catch(fail);
}

/**
 * The transport `http.request` uses inside a compiled bun binary: the runtime's native fetch. It
 * skips loading node:http, node:https, node:tls, agent-base and https-proxy-agent, which costs a
 * bun binary ~34 ms of CPU and ~10 MiB per exec (bench/RESULTS.md); SDKs that need `http.agent`
 * still get the node stack, loaded then.
 *
 * Used only where it behaves exactly like the agent path:
 *  - bun trusts NODE_EXTRA_CA_CERTS from its start-up environment, so the env must name the same file;
 *  - bun's fetch reads HTTP(S)_PROXY itself and cannot be told to go direct, so a target our NO_PROXY
 *    and loopback rules send direct must have no proxy variable to pick up;
 *  - redirects are not followed (a token must never follow a redirect), as with node:https.
 */

import type { Env } from './env.ts';
import { AnswerTooLarge } from './fault.ts';

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

export function runtimeFetchApplies(env: Env, proxy: string | undefined): boolean {
  if (!process.versions.bun) return false;
  if ((env.NODE_EXTRA_CA_CERTS ?? '') !== (process.env.NODE_EXTRA_CA_CERTS ?? '')) return false;
  if (proxy !== undefined) return true;
  return PROXY_VARIABLES.every((name) => !process.env[name]);
}

export interface FetchInput {
  method: string;
  headers: Record<string, string> | undefined;
  body: string | undefined;
  maxBytes: number;
  signal: AbortSignal;
  proxy: string | undefined;
  /** Called when the status and headers have arrived: a failure after that is mid-answer. */
  onHeaders?(): void;
}

/**
 * Resolves with the status, headers and body; network failures reject with the runtime's error. The
 * signal bounds the body too: the stream read rejects when it aborts, so a trickle is cut.
 */
export async function fetchBounded(url: URL, input: FetchInput) {
  const response = await fetch(url, {
    method: input.method,
    headers: input.headers,
    body: input.body,
    signal: input.signal,
    redirect: 'manual',
    // bun's extension: the CONNECT proxy for this request (https://bun.sh/docs/api/fetch#proxying-requests).
    ...(input.proxy ? { proxy: input.proxy } : {}),
  } as RequestInit);
  input.onHeaders?.();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > input.maxBytes) {
      throw new AnswerTooLarge(`over ${input.maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers) as Record<string, string>,
    text: Buffer.concat(chunks).toString('utf8'),
  };
}

/**
 * One fault classification for every outbound call, whichever transport sent it (node:https through
 * the proxy agent, or bun's fetch): what went wrong, in the operator's words, naming the endpoint
 * (and the proxy, when one is in the way) and what to check; and whether another attempt can help.
 *
 *   transport   reset, refused, unreachable, timed out          transient (retried)
 *   truncated   the connection closed mid-answer                 transient
 *   DNS         ENOTFOUND, EAI_AGAIN                             one more try at most
 *   TLS         untrusted or mismatched certificate             final: check NODE_EXTRA_CA_CERTS
 *   proxy       CONNECT answered 403/407 (final) or 5xx (transient), proxy unreachable (transient):
 *               names the proxy and its status: check HTTPS_PROXY/NO_PROXY
 *   oversize    an answer over the size cap                      final
 * Everything is kind `unavailable` (exit 6): the cloud could not be reached or answered nothing
 * usable. Messages never include the request (it may carry secrets), only hosts and codes.
 */
import { CredkitError, isCredkitError } from './errors.ts';

export type FaultKind =
  | 'timeout'
  | 'slow'
  | 'reset'
  | 'refused'
  | 'unreachable'
  | 'truncated'
  | 'dns'
  | 'tls'
  | 'proxy'
  | 'oversize'
  | 'other';

/** What another attempt can do: help (`transient`), help once (`dns`), or nothing (`final`). */
export type Retry = 'transient' | 'dns' | 'final';

/** A transport failure, classified. `cause` keeps the runtime's own error (never printed at v<4). */
export class NetworkFault extends CredkitError {
  readonly fault: FaultKind;
  readonly retry: Retry;
  constructor(fault: FaultKind, retry: Retry, message: string, options?: { cause?: unknown }) {
    super('unavailable', message, options);
    this.name = 'NetworkFault';
    this.fault = fault;
    this.retry = retry;
  }
}

/** The call a failure happened on, as the transport knows it. */
export interface CallSite {
  url: URL;
  /** The described call's name ("STS AssumeRoleWithWebIdentity"), when the caller gave one. */
  what?: string;
  /** The proxy URL the call went through, if any. */
  proxy?: string;
  timeoutMs: number;
  /** Whether the answer's status and headers had arrived: a failure after that is mid-answer. */
  answering?: boolean;
  /** The body cap, for an oversize answer. */
  maxBytes?: number;
}

/** `STS (sts.amazonaws.com)`, or the host alone. */
export function subjectOf(site: Pick<CallSite, 'url' | 'what'>): string {
  return site.what ? `${site.what} (${site.url.host})` : site.url.host;
}

/** The proxy's `host:port`, never its userinfo. */
export function proxyHost(proxy: string): string {
  try {
    return new URL(proxy).host;
  } catch {
    return 'the configured proxy';
  }
}

/** Raised by the transports when an answer goes over its cap; worded by describeNetworkError. */
export class AnswerTooLarge extends Error {
  override readonly name = 'AnswerTooLarge';
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA', 'DNSException']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);
const UNREACHABLE_CODES = new Set(['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);

const PROXY_CHECK = 'check HTTPS_PROXY/NO_PROXY';
const CA_CHECK =
  'if a TLS-inspecting proxy or a private CA signs for it, add that CA to NODE_EXTRA_CA_CERTS; else check HTTPS_PROXY/NO_PROXY and DNS';

/**
 * A transport failure as one line that names the endpoint and what to check. An abort by the
 * per-request timeout (`timedOut`) is a timeout; an abort by the deadline (or the caller) keeps the
 * deadline's own error, which says what the exec was waiting for.
 */
export function describeNetworkError(
  error: unknown,
  site: CallSite,
  signal?: AbortSignal,
  timedOut: boolean = (signal?.reason as Error | undefined)?.name === 'TimeoutError',
): CredkitError {
  if (error instanceof AnswerTooLarge || (error as Error | undefined)?.name === 'AnswerTooLarge') {
    return new NetworkFault(
      'oversize',
      'final',
      `${subjectOf(site)} sent an answer larger than ${site.maxBytes ?? 'the allowed'} bytes: that is not a credential answer`,
      { cause: error },
    );
  }
  if (isCredkitError(error)) return error;
  if (signal?.aborted) return aborted(error, site, signal, timedOut);
  const failure = error as (Error & { code?: unknown; status?: unknown; statusText?: unknown }) | undefined;
  const code = typeof failure?.code === 'string' ? failure.code : undefined;
  const subject = subjectOf(site);
  const via = site.proxy ? ` through the proxy ${proxyHost(site.proxy)}` : '';
  const fault = (kind: FaultKind, retry: Retry, message: string) =>
    new NetworkFault(kind, retry, message, { cause: error });

  if (code === 'ERR_PROXY_TUNNEL') return proxyRefused(failure, site);
  if (code && TLS_CODES.has(code)) {
    return fault('tls', 'final', `TLS to ${subject}${via} failed: ${tlsReason(code)} (${code}): ${CA_CHECK}`);
  }
  if (code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_')) {
    return fault('tls', 'final', `TLS to ${subject}${via} failed (${code}): ${CA_CHECK}`);
  }
  if (code && DNS_CODES.has(code)) {
    if (site.proxy) {
      return fault(
        'dns',
        'dns',
        `the proxy ${proxyHost(site.proxy)} does not resolve (${code}): ${PROXY_CHECK} and DNS`,
      );
    }
    return fault(
      'dns',
      'dns',
      `${site.url.hostname} does not resolve (${code}): check the node's DNS, or ${PROXY_CHECK}`,
    );
  }
  if (code === 'ECONNREFUSED' || code === 'ConnectionRefused') {
    if (site.proxy) return proxyUnreachable(site, 'refused the connection', code, error);
    return fault(
      'refused',
      'transient',
      `${subject} refused the connection (${code}): check that it is reachable, or ${PROXY_CHECK}`,
    );
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    if (site.proxy) return proxyUnreachable(site, 'cannot be reached', code, error);
    return fault(
      'unreachable',
      'transient',
      `${subject} cannot be reached (${code}): check the route to it, or ${PROXY_CHECK}`,
    );
  }
  if (
    (code && RESET_CODES.has(code)) ||
    failure?.message === 'aborted' ||
    /socket hang up/i.test(failure?.message ?? '')
  ) {
    if (site.answering) {
      return fault('truncated', 'transient', `${subject} closed the connection before its answer was complete${via}`);
    }
    return fault('reset', 'transient', `${subject}${via} closed the connection (${code ?? 'reset'})`);
  }
  if (site.proxy && /proxy connection ended/i.test(failure?.message ?? '')) {
    return proxyUnreachable(site, 'closed the connection before answering CONNECT', 'ECONNRESET', error);
  }
  const detail = code ?? (failure?.message ? failure.message.split('\n')[0] : String(error));
  return fault('other', 'final', `cannot reach ${subject}${via}: ${detail}`);
}

function aborted(error: unknown, site: CallSite, signal: AbortSignal, timedOut: boolean): CredkitError {
  const reason = signal.reason as Error | undefined;
  if (timedOut) {
    const seconds = site.timeoutMs / 1000;
    const subject = subjectOf(site);
    const message = site.answering
      ? `${subject} sent its answer too slowly: cut after ${seconds}s`
      : `${subject} did not answer within ${seconds}s${site.proxy ? ` through the proxy ${proxyHost(site.proxy)}` : ''}: check that it is reachable, or ${PROXY_CHECK}`;
    return new NetworkFault(site.answering ? 'slow' : 'timeout', 'transient', message, { cause: error });
  }
  if (isCredkitError(reason)) return reason;
  return new CredkitError('deadline', `the deadline passed while waiting for ${subjectOf(site)}`, { cause: error });
}

function proxyRefused(failure: { status?: unknown; statusText?: unknown } | undefined, site: CallSite) {
  const status = Number(failure?.status);
  const text = typeof failure?.statusText === 'string' && failure.statusText ? ` ${failure.statusText}` : '';
  const proxy = site.proxy ? proxyHost(site.proxy) : 'the proxy';
  const fix =
    status === 407
      ? 'it wants credentials: put them in HTTPS_PROXY (http://user:password@host:port), or list the host in NO_PROXY'
      : status === 403
        ? `it does not allow this destination: allow ${site.url.host} on the proxy, or list it in NO_PROXY`
        : PROXY_CHECK;
  return new NetworkFault(
    'proxy',
    status >= 500 ? 'transient' : 'final',
    `the proxy ${proxy} answered ${status}${text} to CONNECT ${site.url.hostname}:${site.url.port || (site.url.protocol === 'http:' ? 80 : 443)} (for ${subjectOf(site)}): ${fix}`,
    { cause: failure },
  );
}

function proxyUnreachable(site: CallSite, what: string, code: string, error: unknown): NetworkFault {
  return new NetworkFault(
    'proxy',
    'transient',
    `the proxy ${proxyHost(site.proxy ?? '')} ${what} (${code}) on the way to ${subjectOf(site)}: ${PROXY_CHECK}`,
    { cause: error },
  );
}

function tlsReason(code: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH')
    return 'its certificate is for another host';
  if (code === 'CERT_HAS_EXPIRED') return 'its certificate has expired';
  if (code === 'CERT_NOT_YET_VALID') return 'its certificate is not valid yet (check the node clock)';
  if (code === 'EPROTO') return 'the TLS handshake failed';
  return 'its certificate is not signed by a trusted CA';
}

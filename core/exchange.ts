/**
 * The exchange layer: every call an adapter makes to a cloud (token services, registries' token
 * endpoints, instance metadata) is a described call, and this file is the one place that sends it,
 * retries it, reads its answer and words its failure. An adapter says what the call is and how a
 * refusal reads; it never loops.
 *
 * One retry rule for every cloud: throttling (429), 408 and 5xx, honouring Retry-After, and transport
 * failures (resets, timeouts, refused connections) are tried again with full-jitter backoff inside
 * the exec's deadline. A name that does not resolve gets one more try (a resolver hiccup at node
 * boot), no more. Deterministic failures are never retried: refusals (other 4xx), answers over the
 * size cap, answers that do not parse.
 */
import type * as z from 'zod/mini';
import { CredkitError, type ErrorKind, oneLine } from './errors.ts';
import { NetworkFault, type Retry } from './fault.ts';
import type { Http, HttpResponse } from './http.ts';
import type { Logger } from './log.ts';
import { isRetryableStatus, retryAfterMs, withRetry } from './retry.ts';

/** What the exchange layer needs of the exec's context. */
export interface ExchangeContext {
  http: Http;
  signal: AbortSignal;
  log: Logger;
}

/** An answer that was not the one expected, as a refusal sees it. */
export interface Refusal {
  status: number;
  headers: HttpResponse['headers'];
  /** The body, untrimmed: for parsing a cloud's error code. Never print it; print `reason`. */
  text: string;
  /** The cloud's own words, one line, within the error-text budget. */
  reason: string;
}

export interface DescribedCall<T> {
  /** Names the service in messages: "STS AssumeRoleWithWebIdentity", "the metadata server". */
  what: string;
  url: string;
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string;
  /** The answer's shape; the value returned is the schema's output. */
  schema: z.ZodMiniType<T>;
  /** Turns the body into what the schema reads (default JSON.parse): XML, plain text, a header. */
  parse?(text: string, headers: HttpResponse['headers'], status: number): unknown;
  /** Statuses that carry the answer (default 200). */
  expect?: readonly number[];
  /** Checks the answer's headers before its body is trusted (e.g. Metadata-Flavor: Google). */
  check?(headers: HttpResponse['headers']): void;
  /**
   * Answers outside `expect` that ask to be tried again though their status does not say so: AWS
   * throttles with 400 and an error code in the body (`ThrottlingException`, `Throttling`). Retried
   * under the same rule as a 429.
   */
  retryable?(answer: HttpResponse): boolean;
  /** The error for a refusal: a status outside `expect` that is not retried (or still failing). */
  refused(refusal: Refusal): CredkitError;
  /**
   * The cloud's reason from an error body (default: the body's text, one line). Undefined when the
   * body says nothing readable (an empty or foreign error page): the reason is then `status <code>`.
   */
  reason?(text: string): string | undefined;
  /** Per-attempt timeout (default: the transport's 10 s). */
  timeoutMs?: number;
  /** Bodies above this are refused and not retried (default 64 KiB: credential answers are small). */
  maxBytes?: number;
  /** Attempts including the first (default 5). */
  attempts?: number;
}

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024;
/** The most of a cloud's own text that goes into an error line. */
export const CLOUD_TEXT_BUDGET = 300;

/** Sends a described call with the one retry rule and returns its parsed answer. */
export async function exchange<T>(ctx: ExchangeContext, call: DescribedCall<T>): Promise<T> {
  const host = new URL(call.url).host;
  const attempts = call.attempts ?? DEFAULT_ATTEMPTS;
  let dnsRetried = false;
  const answer = await withRetry(() => attempt(ctx, call), {
    signal: ctx.signal,
    attempts,
    retryable: (error) => {
      if (error instanceof RetryableAnswer) return error.afterMs === undefined ? true : { afterMs: error.afterMs };
      const verdict = transportVerdict(error);
      if (verdict === 'dns' && !dnsRetried) {
        dnsRetried = true;
        return true;
      }
      return verdict === 'transient';
    },
    onRetry: (error, n, delayMs) =>
      ctx.log.v(2).info(`retrying ${call.what}`, {
        host,
        attempt: n,
        delayMs: Math.round(delayMs),
        reason: (error as Error).message,
      }),
  }).catch((error: unknown) => {
    // Still throttled or failing when the attempts ran out: the caller words it like any refusal.
    if (error instanceof RetryableAnswer) return error.response;
    throw error;
  });
  if (!(call.expect ?? [200]).includes(answer.status)) throw refusal(call, answer);
  call.check?.(answer.headers);
  return readAnswer(call, host, answer);
}

/** A throttled or failing answer, retried until the attempts run out. */
class RetryableAnswer extends Error {
  readonly response: HttpResponse;
  readonly afterMs: number | undefined;
  constructor(response: HttpResponse) {
    super(`HTTP ${response.status}`);
    this.response = response;
    this.afterMs = retryAfterMs(response.headers['retry-after']);
  }
}

async function attempt<T>(ctx: ExchangeContext, call: DescribedCall<T>): Promise<HttpResponse> {
  const response = await ctx.http.request(call.url, {
    method: call.method ?? 'GET',
    headers: call.headers ?? {},
    ...(call.body !== undefined ? { body: call.body } : {}),
    ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
    maxBytes: call.maxBytes ?? DEFAULT_MAX_ANSWER_BYTES,
    signal: ctx.signal,
    what: call.what,
  });
  const expected = (call.expect ?? [200]).includes(response.status);
  if (!expected && (isRetryableStatus(response.status) || call.retryable?.(response))) {
    throw new RetryableAnswer(response);
  }
  return response;
}

function refusal<T>(call: DescribedCall<T>, response: HttpResponse): CredkitError {
  const said = call.reason ? call.reason(response.text) : response.text;
  const reason = said === undefined ? `status ${response.status}` : cloudText(said);
  return call.refused({ status: response.status, headers: response.headers, text: response.text, reason });
}

function readAnswer<T>(call: DescribedCall<T>, host: string, response: HttpResponse): T {
  let value: unknown;
  try {
    value = call.parse ? call.parse(response.text, response.headers, response.status) : JSON.parse(response.text);
  } catch {
    throw new CredkitError(
      'unavailable',
      `${call.what} (${host}) answered ${response.status} with a body it cannot read`,
    );
  }
  const parsed = call.schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw new CredkitError(
      'unavailable',
      `${call.what} (${host}) answered ${response.status} without a valid ${field}`,
    );
  }
  return parsed.data;
}

/**
 * How a transport failure reads for retrying: worth another try, a name lookup (one more try), or
 * final. The transports classify every failure once (fault.ts); anything else is final.
 */
export function transportVerdict(error: unknown): Retry {
  return error instanceof NetworkFault ? error.retry : 'final';
}

/** A cloud's own words for an error line: one line, within the budget, never empty. */
export function cloudText(text: string, budget: number = CLOUD_TEXT_BUDGET): string {
  const line = oneLine(text);
  if (!line) return '(empty body)';
  return line.length > budget ? `${line.slice(0, budget)}… (${line.length} chars)` : line;
}

/** The usual refusal: `<what> (<host>) refused: <reason>[: <fix>]`, as `kind` (default denied). */
export function refusedBy(what: string, url: string, refusal: Refusal, fix?: string, kind: ErrorKind = 'denied') {
  const status = isRetryableStatus(refusal.status) ? 'kept answering' : 'answered';
  const tail = fix ? `: ${fix}` : '';
  const finalKind: ErrorKind = isRetryableStatus(refusal.status) ? 'unavailable' : kind;
  return new CredkitError(
    finalKind,
    `${what} (${new URL(url).host}) ${status} ${refusal.status}: ${refusal.reason}${tail}`,
  );
}

/**
 * One HTTP call with the retries every Azure endpoint here needs: throttling (429, honouring
 * Retry-After) and 5xx back off with jitter inside the overall deadline; network failures are
 * retried too. The last answer is returned as is, so each caller turns its own status codes into
 * an error that names the identity and the fix.
 */
import {
  type Context,
  type HttpRequestInit,
  type HttpResponse,
  isCredkitError,
  isRetryableStatus,
  retryAfterMs,
  withRetry,
} from '../../core/index.ts';

/** Credential answers are small; ACR's own helper caps bodies at 10 MiB, we need far less. */
export const MAX_BODY_BYTES = 64 * 1024;

class RetryableAnswer extends Error {
  readonly response: HttpResponse;
  constructor(response: HttpResponse) {
    super(`status ${response.status}`);
    this.response = response;
  }
}

export type CallContext = Pick<Context, 'http' | 'signal' | 'log'>;

export async function call(ctx: CallContext, what: string, url: string, init: HttpRequestInit): Promise<HttpResponse> {
  try {
    return await withRetry(
      async () => {
        const response = await ctx.http.request(url, { maxBytes: MAX_BODY_BYTES, ...init, signal: ctx.signal });
        if (isRetryableStatus(response.status)) throw new RetryableAnswer(response);
        return response;
      },
      {
        signal: ctx.signal,
        retryable: (error) => {
          if (error instanceof RetryableAnswer)
            return { afterMs: retryAfterMs(error.response.headers['retry-after']) ?? 0 };
          return isCredkitError(error) && error.kind === 'unavailable';
        },
        onRetry: (error, attempt, delayMs) =>
          ctx.log
            .v(2)
            .info(`retrying ${what}`, { attempt, delayMs: Math.round(delayMs), reason: (error as Error).message }),
      },
    );
  } catch (error) {
    if (error instanceof RetryableAnswer) return error.response;
    throw error;
  }
}

/** A JSON body, or undefined when the server sent something else (an HTML error page, a proxy's text). */
export function jsonBody(response: HttpResponse): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(response.text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function formBody(fields: Record<string, string | undefined>): string {
  const entries = Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return new URLSearchParams(entries).toString();
}

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };

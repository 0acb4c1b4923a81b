/**
 * One JSON call to a Google endpoint (metadata server, STS, IAM Credentials) through the core's
 * proxy- and CA-aware transport, inside the exec's deadline. Throttling (429 RESOURCE_EXHAUSTED),
 * 5xx and dropped connections are retried with jittered backoff; a refusal becomes one line that
 * says what to fix. Upstream retries nothing and turns every failure into an anonymous pull
 * (research/gcp-gar.md §1.2, §4); here failures exit non-zero so the kubelet logs them.
 */
import type * as z from 'zod/mini';
import {
  type Context,
  CredkitError,
  isCredkitError,
  isRetryableStatus,
  oneLine,
  retryAfterMs,
  withRetry,
} from '../../core/index.ts';

export interface GoogleCall<T> {
  /** Names the service in messages: "STS", "the metadata server". */
  what: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  schema: z.ZodMiniType<T>;
  /** The error for a refusal (a 4xx other than 408/429), given the status and Google's reason. */
  refused(status: number, reason: string): CredkitError;
  /** Checks the answer's headers before its body is trusted (the metadata server's Metadata-Flavor). */
  check?(headers: Record<string, string | string[] | undefined>): void;
}

export type CallContext = Pick<Context, 'http' | 'signal' | 'log'>;

const ATTEMPTS = 5;

/** A throttled or failing answer, retried until the attempts run out. */
class Retryable extends Error {
  readonly status: number;
  readonly reason: string;
  readonly afterMs: number | undefined;
  constructor(status: number, reason: string, afterMs: number | undefined) {
    super(`${status} ${reason}`);
    this.status = status;
    this.reason = reason;
    this.afterMs = afterMs;
  }
}

export async function callGoogle<T>(ctx: CallContext, call: GoogleCall<T>): Promise<T> {
  const host = new URL(call.url).host;
  let text: string;
  try {
    text = await withRetry(() => attempt(ctx, call), {
      signal: ctx.signal,
      attempts: ATTEMPTS,
      retryable: (error) => {
        if (error instanceof Retryable) return error.afterMs === undefined ? true : { afterMs: error.afterMs };
        return isRetryableNetworkError(error);
      },
      onRetry: (error, n, delayMs) =>
        ctx.log
          .v(2)
          .info('retrying', { host, attempt: n, delayMs: Math.round(delayMs), error: (error as Error).message }),
    });
  } catch (error) {
    if (error instanceof Retryable) {
      throw new CredkitError(
        'unavailable',
        `${call.what} (${host}) kept answering ${error.status} ${error.reason} after ${ATTEMPTS} attempts: retry later or raise its quota`,
      );
    }
    throw error;
  }
  return parseAnswer(call, host, text);
}

async function attempt<T>(ctx: CallContext, call: GoogleCall<T>): Promise<string> {
  const response = await ctx.http.request(call.url, {
    method: call.method ?? 'GET',
    headers: call.headers ?? {},
    ...(call.body !== undefined ? { body: call.body } : {}),
    signal: ctx.signal,
  });
  if (response.status === 200) {
    call.check?.(response.headers);
    return response.text;
  }
  const reason = googleErrorReason(response.text);
  if (isRetryableStatus(response.status)) {
    throw new Retryable(response.status, reason, retryAfterMs(response.headers['retry-after']));
  }
  throw call.refused(response.status, reason);
}

function parseAnswer<T>(call: GoogleCall<T>, host: string, text: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CredkitError('unavailable', `${call.what} (${host}) answered 200 with a body that is not JSON`);
  }
  const parsed = call.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CredkitError(
      'unavailable',
      `${call.what} (${host}) answered 200 without a valid ${issue?.path.join('.') || 'body'}`,
    );
  }
  return parsed.data;
}

/**
 * Connection failures (the core's transport errors, which carry the socket error as cause) are worth
 * another try; a name that does not resolve will not start resolving, and a wrong answer stays wrong.
 */
function isRetryableNetworkError(error: unknown): boolean {
  if (!isCredkitError(error) || error.kind !== 'unavailable' || !(error.cause instanceof Error)) return false;
  const code = (error.cause as NodeJS.ErrnoException).code;
  return code !== 'ENOTFOUND' && code !== 'EAI_AGAIN';
}

/**
 * Google's reason, from either error shape: OAuth (`{"error":"invalid_grant","error_description":…}`,
 * STS) or API (`{"error":{"code":403,"status":"PERMISSION_DENIED","message":…}}`, IAM Credentials).
 */
export function googleErrorReason(text: string): string {
  let reason: string;
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (typeof body.error === 'string') {
      reason = body.error + (typeof body.error_description === 'string' ? `: ${body.error_description}` : '');
    } else if (body.error && typeof body.error === 'object') {
      const api = body.error as { status?: unknown; code?: unknown; message?: unknown };
      reason = `${String(api.status ?? api.code ?? 'error')}${typeof api.message === 'string' ? `: ${api.message}` : ''}`;
    } else {
      reason = text;
    }
  } catch {
    reason = text;
  }
  const line = oneLine(reason);
  return line.length > 240 ? `${line.slice(0, 240)}…` : line || '(empty body)';
}

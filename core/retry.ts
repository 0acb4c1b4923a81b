/**
 * The deadline and retries. The kubelet kills a plugin after 60 s (research/kubelet-protocol.md
 * §3.3) and then logs only "context deadline exceeded"; finishing earlier with a real error is
 * always better. So one overall deadline bounds everything, and retries (throttling, 5xx) back off
 * with full jitter but never sleep past it: a storm of node-boot execs must not retry in lockstep.
 */
import { CredkitError } from './errors.ts';

export const DEFAULT_TIMEOUT_MS = 50_000;

export interface Deadline {
  signal: AbortSignal;
  /** ms since the epoch. */
  at: number;
  remaining(): number;
  dispose(): void;
}

/**
 * `waitingFor` names what stalled when the deadline passes (the call in flight, from the exec's
 * Http): "no credential within the 50s deadline: waiting for STS (sts.amazonaws.com)".
 */
export function createDeadline(
  timeoutMs: number,
  now: () => number = Date.now,
  waitingFor?: () => string | undefined,
): Deadline {
  const controller = new AbortController();
  const at = now() + timeoutMs;
  const timer = setTimeout(() => {
    const what = waitingFor?.();
    const message = `no credential within the ${timeoutMs / 1000}s deadline${what ? `: waiting for ${what}` : ''}`;
    controller.abort(new CredkitError('deadline', message));
  }, timeoutMs);
  // The deadline must never be what keeps the process alive.
  timer.unref?.();
  return {
    signal: controller.signal,
    at,
    remaining: () => Math.max(0, at - now()),
    dispose: () => clearTimeout(timer),
  };
}

export interface RetryOptions {
  signal?: AbortSignal;
  /** Total attempts, including the first (default 5). */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Whether an error is worth another attempt; may give a server-suggested delay (Retry-After). */
  retryable(error: unknown): boolean | { afterMs: number };
  /** Called before each sleep, for a verbose log line. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  random?: () => number;
}

/** Runs `operation` until it succeeds, fails with a non-retryable error, or runs out of attempts. */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 200;
  const cap = options.maxDelayMs ?? 5_000;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const verdict = attempt < attempts && !options.signal?.aborted ? options.retryable(error) : false;
      if (!verdict) throw error;
      const backoff = random() * Math.min(cap, base * 2 ** (attempt - 1));
      const delay = typeof verdict === 'object' ? Math.min(cap, Math.max(verdict.afterMs, backoff)) : backoff;
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** HTTP statuses worth retrying: throttling and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599);
}

/** Retry-After in ms (seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

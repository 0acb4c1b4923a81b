import { describe, expect, it } from 'vitest';
import { createDeadline, isRetryableStatus, retryAfterMs, withRetry } from '../../core/retry.ts';

describe('withRetry', () => {
  it.each([
    { name: 'succeeds first time', failures: 0, attempts: 5, calls: 1, ok: true },
    { name: 'three throttles then success', failures: 3, attempts: 5, calls: 4, ok: true },
    { name: 'gives up after the attempt budget', failures: 9, attempts: 3, calls: 3, ok: false },
  ])('$name', async ({ failures, attempts, calls, ok }) => {
    let count = 0;
    const run = withRetry(
      async () => {
        count++;
        if (count <= failures) throw new Error('ThrottlingException');
        return 'done';
      },
      { attempts, baseDelayMs: 1, maxDelayMs: 2, retryable: () => true },
    );
    if (ok) await expect(run).resolves.toBe('done');
    else await expect(run).rejects.toThrow('ThrottlingException');
    expect(count).toBe(calls);
  });

  it('does not retry what is not retryable', async () => {
    let count = 0;
    await expect(
      withRetry(
        async () => {
          count++;
          throw new Error('AccessDenied');
        },
        { retryable: () => false },
      ),
    ).rejects.toThrow('AccessDenied');
    expect(count).toBe(1);
  });

  it('stops sleeping when the deadline passes', async () => {
    const deadline = createDeadline(50);
    const started = Date.now();
    await expect(
      withRetry(
        async () => {
          throw new Error('503');
        },
        {
          signal: deadline.signal,
          attempts: 100,
          baseDelayMs: 1000,
          maxDelayMs: 1000,
          retryable: () => ({ afterMs: 1000 }),
        },
      ),
    ).rejects.toThrow(/deadline/);
    expect(Date.now() - started).toBeLessThan(1000);
    deadline.dispose();
  });

  it.each([
    { name: 'nothing in flight', waitingFor: undefined, message: /^no credential within the 0\.05s deadline$/ },
    {
      name: 'a call in flight',
      waitingFor: 'STS (sts.amazonaws.com)',
      message: /^no credential within the 0\.05s deadline: waiting for STS \(sts\.amazonaws\.com\)$/,
    },
  ])('the deadline says what stalled: $name', async ({ waitingFor, message }) => {
    const deadline = createDeadline(50, Date.now, () => waitingFor);
    await new Promise((resolve) => deadline.signal.addEventListener('abort', resolve));
    expect(deadline.signal.reason).toMatchObject({ kind: 'deadline', message: expect.stringMatching(message) });
  });

  it('backs off with full jitter, capped', async () => {
    const delays: number[] = [];
    let count = 0;
    await withRetry(
      async () => {
        if (++count < 5) throw new Error('x');
      },
      { baseDelayMs: 1, maxDelayMs: 4, random: () => 1, retryable: () => true, onRetry: (_e, _a, d) => delays.push(d) },
    );
    expect(delays).toEqual([1, 2, 4, 4]);
  });
});

describe('HTTP retry helpers', () => {
  it.each([
    { status: 429, retry: true },
    { status: 503, retry: true },
    { status: 500, retry: true },
    { status: 408, retry: true },
    { status: 400, retry: false },
    { status: 403, retry: false },
    { status: 200, retry: false },
  ])('status $status retryable: $retry', ({ status, retry }) => {
    expect(isRetryableStatus(status)).toBe(retry);
  });

  it.each([
    { header: '3', ms: 3000 },
    { header: undefined, ms: undefined },
    { header: 'soon', ms: undefined },
    { header: new Date(Date.UTC(2026, 0, 1, 0, 0, 10)).toUTCString(), ms: 10_000 },
  ])('Retry-After $header → $ms', ({ header, ms }) => {
    expect(retryAfterMs(header, Date.UTC(2026, 0, 1))).toBe(ms);
  });
});

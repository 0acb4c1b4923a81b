import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { CredkitError } from '../../core/errors.ts';
import { cloudText, type DescribedCall, exchange, refusedBy } from '../../core/exchange.ts';
import { AnswerTooLarge, describeNetworkError } from '../../core/fault.ts';
import type { Http, HttpResponse } from '../../core/http.ts';
import { createLogger } from '../../core/log.ts';
import { Redactor } from '../../core/redact.ts';

type Step = HttpResponse | Error;

/** An Http whose answers are scripted, counting the requests it was asked to send. */
function scripted(steps: Step[]): Http & { sent: number } {
  const http = {
    sent: 0,
    get agent(): never {
      throw new Error('not used');
    },
    waitingFor: () => undefined,
    async request() {
      const step = steps[Math.min(http.sent++, steps.length - 1)]!;
      if (step instanceof Error) throw step;
      return step;
    },
  };
  return http;
}

const ok = (text: string, status = 200): HttpResponse => ({ status, headers: {}, text });
/** A transport failure as the transports report it: classified once by describeNetworkError. */
const network = (code: string, extra: Record<string, unknown> = {}) =>
  describeNetworkError(Object.assign(new Error(code), { code, ...extra }), {
    url: new URL('https://token.example.com/exchange'),
    timeoutMs: 10_000,
    ...(extra.status ? { proxy: 'http://proxy.corp:3128' } : {}),
  });

const call: DescribedCall<{ token: string }> = {
  what: 'the token service',
  url: 'https://token.example.com/exchange',
  method: 'POST',
  schema: z.object({ token: z.string() }),
  refused: (refusal) => refusedBy('the token service', 'https://token.example.com/exchange', refusal),
};

function context(http: Http) {
  const log = createLogger({ name: 't', write: () => {}, redactor: new Redactor() });
  return { http, log, signal: new AbortController().signal };
}

describe('exchange: one retry rule for every described call', () => {
  it.each([
    { name: '200 at once', steps: [ok('{"token":"t"}')], sent: 1, result: 't' },
    { name: '429 twice then 200', steps: [ok('', 429), ok('', 429), ok('{"token":"t"}')], sent: 3, result: 't' },
    { name: '503 then 200', steps: [ok('', 503), ok('{"token":"t"}')], sent: 2, result: 't' },
    { name: 'reset then 200', steps: [network('ECONNRESET'), ok('{"token":"t"}')], sent: 2, result: 't' },
    { name: 'DNS failure once, then 200', steps: [network('ENOTFOUND'), ok('{"token":"t"}')], sent: 2, result: 't' },
    { name: 'DNS failure twice: final', steps: [network('ENOTFOUND')], sent: 2, error: /ENOTFOUND/ },
    { name: '403 is final', steps: [ok('{"error":"nope"}', 403)], sent: 1, error: /answered 403: \{"error":"nope"\}/ },
    { name: '5xx every time', steps: [ok('down', 500)], sent: 5, error: /kept answering 500: down/ },
    { name: 'not JSON is final', steps: [ok('<html>')], sent: 1, error: /body it cannot read/ },
    { name: 'wrong shape is final', steps: [ok('{"tok":1}')], sent: 1, error: /without a valid token/ },
    {
      name: 'oversize answer is final',
      steps: [
        describeNetworkError(new AnswerTooLarge('x'), { url: new URL('https://x/'), timeoutMs: 1, maxBytes: 65536 }),
      ],
      sent: 1,
      error: /larger than 65536 bytes/,
    },
    {
      name: 'wrong CA is final',
      steps: [network('UNABLE_TO_VERIFY_LEAF_SIGNATURE')],
      sent: 1,
      error: /NODE_EXTRA_CA_CERTS/,
    },
    {
      name: 'refused connection, then 200',
      steps: [network('ECONNREFUSED'), ok('{"token":"t"}')],
      sent: 2,
      result: 't',
    },
    {
      name: 'proxy 407 is final',
      steps: [network('ERR_PROXY_TUNNEL', { status: 407, statusText: 'Proxy Authentication Required' })],
      sent: 1,
      error: /the proxy proxy\.corp:3128 answered 407/,
    },
    {
      name: 'proxy 503, then 200',
      steps: [network('ERR_PROXY_TUNNEL', { status: 503, statusText: 'Service Unavailable' }), ok('{"token":"t"}')],
      sent: 2,
      result: 't',
    },
    {
      name: 'an unclassified error is final',
      steps: [
        new CredkitError('unavailable', 'something else', {
          cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }),
        }),
      ],
      sent: 1,
      error: /something else/,
    },
  ])(
    '$name',
    async ({ steps, sent, result, error }) => {
      const http = scripted(steps);
      const run = exchange(context(http), { ...call, attempts: 5 });
      if (error) await expect(run).rejects.toThrow(error);
      else await expect(run).resolves.toEqual({ token: result });
      expect(http.sent).toBe(sent);
    },
    20_000,
  );

  it('refusal kinds: 4xx denied, still-throttled unavailable', async () => {
    await expect(exchange(context(scripted([ok('', 401)])), call)).rejects.toMatchObject({ kind: 'denied' });
    await expect(exchange(context(scripted([ok('', 429)])), { ...call, attempts: 2 })).rejects.toMatchObject({
      kind: 'unavailable',
    });
  });

  it.each([
    { name: 'the hook reads the cloud’s error shape', body: '{"error":"nope"}', reason: 'nope' },
    { name: 'nothing readable: the status stands in', body: '<html>Forbidden</html>', reason: 'status 403' },
  ])('reason: $name', async ({ body, reason }) => {
    const run = exchange(context(scripted([ok(body, 403)])), {
      ...call,
      reason: (text) => (text.startsWith('{') ? (JSON.parse(text) as { error: string }).error : undefined),
    });
    await expect(run).rejects.toThrow(`answered 403: ${reason}`);
  });

  it('expect and parse read answers that are not JSON 200', async () => {
    const http = scripted([ok('plain-token', 401)]);
    const value = await exchange(context(http), {
      ...call,
      expect: [401],
      parse: (text) => ({ token: text }),
    });
    expect(value).toEqual({ token: 'plain-token' });
  });
});

describe('retryable: answers that ask to be tried again though their status does not', () => {
  const throttled = ok('{"__type":"ThrottlingException"}', 400);
  const denied = ok('{"__type":"AccessDeniedException"}', 400);
  const saysThrottled = (answer: HttpResponse) => answer.text.includes('Throttling');
  it.each([
    { name: 'a 400 throttle, then 200', steps: [throttled, ok('{"token":"t"}')], sent: 2, result: 't' },
    { name: 'a 400 refusal is final', steps: [denied], sent: 1, error: /answered 400/ },
    {
      name: 'throttled every time',
      steps: [throttled],
      sent: 3,
      error: /answered 400: \{"__type":"ThrottlingException"\}/,
    },
  ])(
    '$name',
    async ({ steps, sent, result, error }) => {
      const http = scripted(steps);
      const run = exchange(context(http), { ...call, attempts: 3, retryable: saysThrottled });
      if (error) await expect(run).rejects.toThrow(error);
      else await expect(run).resolves.toEqual({ token: result });
      expect(http.sent).toBe(sent);
    },
    20_000,
  );

  it('parse sees the status of an expected answer', async () => {
    const read = (status: number) =>
      exchange(context(scripted([ok('body', status)])), {
        ...call,
        expect: [200, 404],
        parse: (text, _headers, answered) => ({ token: `${answered}:${text}` }),
      });
    await expect(read(200)).resolves.toEqual({ token: '200:body' });
    await expect(read(404)).resolves.toEqual({ token: '404:body' });
  });
});

describe('cloudText keeps a cloud’s words within the budget', () => {
  it.each([
    { name: 'short', text: 'AccessDenied', out: 'AccessDenied' },
    { name: 'multi-line', text: 'a\r\n  b', out: 'a b' },
    { name: 'empty', text: '  ', out: '(empty body)' },
    { name: 'long', text: 'x'.repeat(1000), out: `${'x'.repeat(300)}… (1000 chars)` },
  ])('$name', ({ text, out }) => expect(cloudText(text)).toBe(out));
});

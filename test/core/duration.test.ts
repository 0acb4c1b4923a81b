import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGoDuration, formatSeconds, isGoDuration, parseGoDuration } from '../../core/duration.ts';

const S = 1_000_000_000n;

describe('parseGoDuration accepts what time.ParseDuration accepts', () => {
  it.each([
    { text: '0', nanos: 0n },
    { text: '0s', nanos: 0n },
    { text: '1m', nanos: 60n * S },
    { text: '6h0m0s', nanos: 6n * 3600n * S },
    { text: '1.5h', nanos: 5400n * S },
    { text: '300ms', nanos: 300_000_000n },
    { text: '21.6µs', nanos: 21_600n },
    { text: '21.6μs', nanos: 21_600n },
    { text: '1us', nanos: 1_000n },
    { text: '1h2m3.5s', nanos: 3723n * S + 500_000_000n },
    { text: '-5m', nanos: -300n * S },
    { text: '+5m', nanos: 300n * S },
    { text: '.5s', nanos: 500_000_000n },
    { text: '5.s', nanos: 5n * S },
    { text: '1ns', nanos: 1n },
  ])('$text', ({ text, nanos }) => {
    expect(parseGoDuration(text)).toBe(nanos);
  });
});

describe('parseGoDuration rejects what Go rejects', () => {
  it.each([
    { name: 'empty string', text: '' },
    { name: 'day unit', text: '1d' },
    { name: 'bare number', text: '10' },
    { name: 'number type text', text: '3600' },
    { name: 'unknown unit', text: '5y' },
    { name: 'bare dot', text: '.s' },
    { name: 'space', text: '1 m' },
    { name: 'sign only', text: '-' },
    { name: 'overflow', text: '9999999999h' },
  ])('$name ($text)', ({ text }) => {
    expect(() => parseGoDuration(text)).toThrow();
    expect(isGoDuration(text)).toBe(false);
  });
});

describe('formatGoDuration prints what Duration.String() prints', () => {
  it.each([
    { nanos: 0n, text: '0s' },
    { nanos: 1n, text: '1ns' },
    { nanos: 1_500n, text: '1.5µs' },
    { nanos: 1_500_000n, text: '1.5ms' },
    { nanos: S, text: '1s' },
    { nanos: 60n * S, text: '1m0s' },
    { nanos: 90n * S, text: '1m30s' },
    { nanos: 6n * 3600n * S, text: '6h0m0s' },
    { nanos: 3723n * S + 500_000_000n, text: '1h2m3.5s' },
    { nanos: -300n * S, text: '-5m0s' },
    { nanos: (1n << 63n) - 1n, text: '2562047h47m16.854775807s' },
  ])('$text', ({ nanos, text }) => {
    expect(formatGoDuration(nanos)).toBe(text);
  });
});

describe('formatSeconds (cache durations) is never negative', () => {
  it.each([
    { seconds: -10, text: '0s' },
    { seconds: Number.NaN, text: '0s' },
    { seconds: 59.9, text: '59s' },
    { seconds: 43_200, text: '12h0m0s' },
  ])('$seconds → $text', ({ seconds, text }) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});

describe('properties', () => {
  const int64 = fc.bigInt({ min: -(1n << 63n) + 1n, max: (1n << 63n) - 1n });

  it('parse(format(d)) === d over the whole int64 range', () => {
    fc.assert(fc.property(int64, (nanos) => parseGoDuration(formatGoDuration(nanos)) === nanos));
  });

  it('formatted whole seconds never use a unit Go lacks and never go negative', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), (seconds) => {
        const text = formatSeconds(seconds);
        return isGoDuration(text) && !text.startsWith('-') && !text.includes('d');
      }),
    );
  });
});

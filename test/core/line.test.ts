import { describe, expect, it } from 'vitest';
import { byteLength, cut, cutWithLength, escapeControl, quote } from '../../core/line.ts';

describe('escapeControl makes control and format characters visible', () => {
  it.each([
    { name: 'ESC sequence', text: '\u001b[31mred', out: '\\x1b[31mred' },
    { name: 'newline and tab', text: 'a\nb\tc\r', out: 'a\\nb\\tc\\r' },
    { name: 'NUL and DEL', text: '\u0000\u007f', out: '\\x00\\x7f' },
    { name: 'C1 (CSI)', text: '\u009b2J', out: '\\x9b2J' },
    { name: 'line separator', text: 'a\u2028b\u2029', out: 'a\\u2028b\\u2029' },
    { name: 'bidi override', text: 'abc\u202edcba', out: 'abc\\u202edcba' },
    { name: 'lone surrogate', text: 'x\ud800y', out: 'x\\ud800y' },
    { name: 'printable Unicode kept', text: 'naïve — ok 🙂', out: 'naïve — ok 🙂' },
  ])('$name', ({ text, out }) => expect(escapeControl(text)).toBe(out));
});

describe('cut keeps a UTF-8 byte budget on a character boundary', () => {
  it.each([
    { name: 'fits', text: 'abc', bytes: 3, out: 'abc' },
    { name: 'ASCII', text: 'abcdef', bytes: 4, out: 'abcd' },
    { name: 'two-byte characters', text: 'ééé', bytes: 5, out: 'éé' },
    { name: 'never half a surrogate pair', text: 'a🙂b', bytes: 4, out: 'a' },
  ])('$name', ({ text, bytes, out }) => {
    expect(cut(text, bytes)).toBe(out);
    expect(byteLength(cut(text, bytes))).toBeLessThanOrEqual(bytes);
  });

  it('cutWithLength says how long the text was', () => {
    const out = cutWithLength('x'.repeat(5000), 100);
    expect(byteLength(out)).toBeLessThanOrEqual(100);
    expect(out).toMatch(/^x+… \(5000 bytes\)$/);
    expect(cutWithLength('short', 100)).toBe('short');
  });
});

describe('quote puts an input value into a message', () => {
  it.each([
    { name: 'short', value: 'team/app', out: '"team/app"' },
    { name: 'quotes and backslashes escaped', value: 'a"b\\c', out: '"a\\"b\\\\c"' },
    { name: 'control characters escaped', value: 'x\u001b[2Jy', out: '"x\\x1b[2Jy"' },
    { name: 'not a string', value: 5, out: '"5"' },
    { name: 'long: cut, length shown', value: 'a'.repeat(900_179), out: `"${'a'.repeat(64)}…" (900179 bytes)` },
    {
      name: 'cut never leaves half an escape',
      value: `${'a'.repeat(62)}\u001b`,
      budget: 64,
      out: `"${'a'.repeat(62)}…" (63 bytes)`,
    },
    {
      name: 'cut never leaves half an escaped backslash',
      value: `${'a'.repeat(63)}\\x`,
      budget: 64,
      out: `"${'a'.repeat(63)}…" (65 bytes)`,
    },
  ])('$name', ({ value, budget, out }) => expect(quote(value, budget)).toBe(out));
});

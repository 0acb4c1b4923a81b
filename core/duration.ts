/**
 * Go `time.Duration` text, as the kubelet parses `cacheDuration` (metav1.Duration → time.ParseDuration)
 * and as Go prints it (`Duration.String()`: "6h0m0s", "1m30s", "0s", "1.5ms"). There is no `d` unit
 * and "" is invalid (research/kubelet-protocol.md §1.3). Nanoseconds are kept as bigint so that
 * parse(format(x)) === x holds exactly across Go's whole int64 range.
 */

const NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_INT64 = (1n << 63n) - 1n;
const COMPONENT = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;

/** Parses a Go duration string to nanoseconds; throws on anything Go would reject. */
export function parseGoDuration(text: string): bigint {
  let rest = text;
  let sign = 1n;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1n;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw new Error(`invalid duration ${JSON.stringify(text)}`);

  let total = 0n;
  while (rest !== '') {
    const match = COMPONENT.exec(rest);
    const [whole = '', fraction, unit = ''] = match ? match.slice(1) : [];
    if (!match || (whole === '' && !fraction)) {
      throw new Error(`invalid duration ${JSON.stringify(text)}`);
    }
    const scale = NANOS[unit] as bigint;
    total += BigInt(whole || '0') * scale + fractionNanos(fraction ?? '', scale);
    if (total > MAX_INT64 + (sign < 0n ? 1n : 0n)) {
      throw new Error(`invalid duration ${JSON.stringify(text)}: out of range`);
    }
    rest = rest.slice(match[0].length);
  }
  return sign * total;
}

/** Go truncates the fractional part of a component to whole nanoseconds. */
function fractionNanos(digits: string, scale: bigint): bigint {
  if (digits === '') return 0n;
  return (BigInt(digits) * scale) / 10n ** BigInt(digits.length);
}

export function isGoDuration(text: string): boolean {
  try {
    parseGoDuration(text);
    return true;
  } catch {
    return false;
  }
}

/** Formats nanoseconds exactly as Go's `time.Duration.String()`. */
export function formatGoDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const text = abs < NANOS.s! ? formatSubSecond(abs) : formatLong(abs);
  return negative ? `-${text}` : text;
}

function formatSubSecond(abs: bigint): string {
  if (abs < 1_000n) return `${abs}ns`;
  if (abs < 1_000_000n) return `${decimal(abs, 3)}µs`;
  return `${decimal(abs, 6)}ms`;
}

function formatLong(abs: bigint): string {
  const hours = abs / NANOS.h!;
  const minutes = (abs % NANOS.h!) / NANOS.m!;
  const seconds = decimal(abs % NANOS.m!, 9);
  if (hours > 0n) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** `value / 10^digits` with trailing zeros (and a bare point) removed, as Go prints fractions. */
function decimal(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const whole = value / scale;
  const fraction = (value % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

/** Whole seconds (negative or fractional input clamps down to a non-negative whole) → Go string. */
export function formatSeconds(seconds: number): string {
  const whole = Number.isFinite(seconds) ? Math.max(0, Math.floor(seconds)) : 0;
  return formatGoDuration(BigInt(whole) * NANOS.s!);
}

/** Parses a Go duration to milliseconds (for flags such as --timeout). */
export function parseDurationMs(text: string): number {
  return Number(parseGoDuration(text) / 1_000_000n);
}

/**
 * A klog-shaped logger that writes to stderr only (stdout belongs to the response) and redacts
 * every line. `--v=N` gates verbose lines as klog does; `--log-format=json` gives klog's JSON shape.
 *
 * Every line keeps the error-line budget (line.ts) whatever a caller passes: one line, control
 * characters escaped, each field value and the whole line cut to a bounded size. Redaction runs
 * before any cut, so a secret is never cut into a prefix the redactor would no longer recognise.
 */
import { byteLength, cut, cutWithLength, escapeControl, LINE_BUDGET, quote } from './line.ts';
import { Redactor } from './redact.ts';

export type LogFormat = 'text' | 'json';
export type LogFields = Record<string, unknown>;

export interface Logger {
  /** Always printed: things an operator should see even on success (stderr is discarded then). */
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose info lines print only at `--v >= level`. */
  v(level: number): Pick<Logger, 'info'>;
  /** The redactor every line passes through; register secrets here as soon as you hold them. */
  readonly redactor: Redactor;
  readonly verbosity: number;
  /** Writes the lines held back (see `LoggerOptions.hold`); a no-op otherwise. */
  flush(): void;
}

export interface LoggerOptions {
  verbosity?: number;
  format?: LogFormat;
  name?: string;
  write?: (line: string) => void;
  redactor?: Redactor;
  now?: () => Date;
  /** klog's -skip_headers: false drops the `Lmmdd hh:mm:ss.uuuuuu pid name]` prefix of text lines. */
  headers?: boolean;
  /** klog's -stderrthreshold: lines of a lower severity (0 info, 1 warning, 2 error, 3 fatal) are dropped. */
  stderrThreshold?: number;
  /**
   * At verbosity 0, hold info and warning lines back until `flush()`; an error line drops them.
   * A failing exec then prints exactly one line (the kubelet appends stderr to its own log line);
   * a successful one still shows its warnings.
   */
  hold?: boolean;
}

/** The most one field value takes of a line, in bytes: several fit beside the message. */
export const FIELD_BUDGET = 256;

type Severity = 'I' | 'W' | 'E';
/** klog's severity numbers, the scale -stderrthreshold is given in. */
const SEVERITY_RANK: Record<Severity, number> = { I: 0, W: 1, E: 2 };

export function createLogger(options: LoggerOptions = {}): Logger {
  const verbosity = options.verbosity ?? 0;
  const format = options.format ?? 'text';
  const redactor = options.redactor ?? new Redactor();
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const name = escapeControl(options.name ?? 'credkit');
  const headers = options.headers ?? true;
  const threshold = options.stderrThreshold ?? 0;
  const held: string[] | undefined = options.hold && verbosity === 0 ? [] : undefined;

  const emit = (severity: Severity, level: number, message: string, fields: LogFields = {}) => {
    if (SEVERITY_RANK[severity] < threshold) return;
    const pairs = Object.entries(fields).filter(([, value]) => value !== undefined);
    const at = now();
    const line =
      format === 'json'
        ? jsonLine(severity, level, message, pairs, at, redactor)
        : textLine(severity, headers ? name : undefined, message, pairs, at, redactor);
    const out = `${line}\n`;
    if (held && severity !== 'E') held.push(out);
    else {
      if (held) held.length = 0;
      write(out);
    }
  };

  return {
    info: (message, fields) => emit('I', 0, message, fields),
    warn: (message, fields) => emit('W', 0, message, fields),
    error: (message, fields) => emit('E', 0, message, fields),
    v: (level) => ({
      info: (message, fields) => {
        if (verbosity >= level) emit('I', level, message, fields);
      },
    }),
    redactor,
    verbosity,
    flush: () => {
      for (const line of held?.splice(0) ?? []) write(line);
    },
  };
}

type Pairs = Array<[string, unknown]>;

/** klog's text header: `Lmmdd hh:mm:ss.uuuuuu pid name] msg key="value"`; no name: no header. */
function textLine(
  severity: Severity,
  name: string | undefined,
  message: string,
  fields: Pairs,
  at: Date,
  redactor: Redactor,
) {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const stamp =
    `${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())} ` +
    `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.` +
    `${pad(at.getUTCMilliseconds() * 1000, 6)}`;
  const head = name === undefined ? '' : `${severity}${stamp} ${process.pid} ${name}] `;
  const text = cutWithLength(escapeControl(redactor.redact(message)), LINE_BUDGET - byteLength(head));
  const pairs = fields.map(([key, value]) => ` ${cutWithLength(escapeControl(key), 64)}=${textValue(value, redactor)}`);
  return (
    withinBudget(head + text, pairs, (dropped) => ` …(${dropped} more fields)`) ??
    cutWithLength(head + text, LINE_BUDGET)
  );
}

/** klog prints numbers and booleans bare, everything else quoted (and here: escaped and cut). */
function textValue(value: unknown, redactor: Redactor): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  const text = typeof value === 'string' ? value : (safeJson(value) ?? String(value));
  return quote(redactor.redact(text), FIELD_BUDGET);
}

/** klog's JSON shape (`ts` in seconds, `v` verbosity; errors carry `err`). */
function jsonLine(severity: Severity, level: number, message: string, fields: Pairs, at: Date, redactor: Redactor) {
  const base: LogFields = { ts: at.getTime() / 1000, v: level };
  const tail: LogFields = severity === 'E' ? { level: 'error' } : severity === 'W' ? { level: 'warning' } : {};
  // ~60 bytes of the budget go to ts, v and level.
  const msg = cutWithLength(redactor.redact(message), LINE_BUDGET - 64);
  const pairs = fields
    .filter(([key]) => !['ts', 'v', 'msg', 'level'].includes(key))
    .map(([key, value]) => `,${jsonText(cutWithLength(key, 64))}:${jsonText(jsonValue(value, redactor))}`);
  const open = jsonText({ ...base, msg }).slice(0, -1);
  const close = `${Object.keys(tail).length ? `,${jsonText(tail).slice(1, -1)}` : ''}}`;
  const line = withinBudget(open, pairs, (dropped) => `,"cutFields":${dropped}`, close);
  if (line !== undefined) return line;
  // The message alone is over the budget once JSON-escaped (escapes take up to 6 bytes): cut it harder.
  return jsonLine(severity, level, cut(msg, Math.floor(byteLength(msg) / 2)), [], at, redactor);
}

/** A JSON field value: numbers and booleans as they are, objects kept when small, else cut text. */
function jsonValue(value: unknown, redactor: Redactor): unknown {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'string') return cutWithLength(redactor.redact(value), FIELD_BUDGET);
  const json = safeJson(value) ?? String(value);
  const redacted = redactor.redact(json);
  if (redacted === json && byteLength(json) <= FIELD_BUDGET) return value;
  return cutWithLength(redacted, FIELD_BUDGET);
}

// JSON.stringify escapes C0 controls but leaves DEL, C1, U+2028/U+2029 and format characters raw.
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

function jsonText(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(
    JSON_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * A line within the budget: the head (with the message) first, then as many fields as fit, and a
 * note of how many did not; undefined when the head alone is over the budget.
 */
function withinBudget(
  head: string,
  fields: string[],
  more: (dropped: number) => string,
  close = '',
): string | undefined {
  for (let kept = fields.length; kept >= 0; kept--) {
    const dropped = fields.length - kept;
    const line = head + fields.slice(0, kept).join('') + (dropped ? more(dropped) : '') + close;
    if (byteLength(line) <= LINE_BUDGET) return line;
  }
  return undefined;
}

/**
 * A klog-shaped logger that writes to stderr only (stdout belongs to the response) and redacts
 * every line. `--v=N` gates verbose lines as klog does; `--log-format=json` gives klog's JSON shape.
 */
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
}

type Severity = 'I' | 'W' | 'E';
/** klog's severity numbers, the scale -stderrthreshold is given in. */
const SEVERITY_RANK: Record<Severity, number> = { I: 0, W: 1, E: 2 };

export function createLogger(options: LoggerOptions = {}): Logger {
  const verbosity = options.verbosity ?? 0;
  const format = options.format ?? 'text';
  const redactor = options.redactor ?? new Redactor();
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const name = options.name ?? 'credkit';
  const headers = options.headers ?? true;
  const threshold = options.stderrThreshold ?? 0;

  const emit = (severity: Severity, level: number, message: string, fields: LogFields = {}) => {
    if (SEVERITY_RANK[severity] < threshold) return;
    const line =
      format === 'json'
        ? jsonLine(severity, level, message, fields, now())
        : textLine(severity, headers ? name : undefined, message, fields, now());
    write(`${redactor.redact(line)}\n`);
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
  };
}

/** klog's text header: `Lmmdd hh:mm:ss.uuuuuu pid name] msg key="value"`; no name: no header. */
function textLine(severity: Severity, name: string | undefined, message: string, fields: LogFields, at: Date) {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const stamp =
    `${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())} ` +
    `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.` +
    `${pad(at.getUTCMilliseconds() * 1000, 6)}`;
  const pairs = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  const header = name === undefined ? '' : `${severity}${stamp} ${process.pid} ${name}] `;
  return [`${header}${message}`, ...pairs].join(' ');
}

/** klog's JSON shape (`ts` in seconds, `v` verbosity; errors carry `err`). */
function jsonLine(severity: Severity, level: number, message: string, fields: LogFields, at: Date) {
  const record: LogFields = { ts: at.getTime() / 1000, v: level, msg: message, ...fields };
  if (severity === 'E') record.level = 'error';
  if (severity === 'W') record.level = 'warning';
  return JSON.stringify(record);
}

/**
 * The logging flags of the Go binaries credkit replaces, as each registers them, so that a kubelet
 * config written for the upstream binary runs unchanged (research/dropin-gaps.md §1):
 *  - `klog`: every flag of klog.InitFlags (klog v2.140), as auth-provider-gcp adds them, with GKE's
 *    `get-credentials --v=3`; Go's flag package also takes one dash before a long name;
 *  - `component-base`: k8s.io/component-base/logs.AddFlags (v0.36), as acr-credential-provider
 *    adds them: `-v`/`--v`, `--vmodule`, `--log-flush-frequency` (no `--logging-format`: that is
 *    logsapi.AddFlags, which the upstream binary does not call);
 *  - `cobra`: a plain cobra command with a Version, as ecr-credential-provider: `-v` is `--version`;
 *  - `credkit`: credkit's own `--v`, plus the two klog flags configs most often carry; every family
 *    takes these too (a superset of the upstream: configs written for other Go providers carry them).
 * A flag credkit has the concept of is honoured (verbosity, headers, the stderr threshold); the
 * others are checked as upstream checks them, then ignored with a note at --v>=1.
 */
import { parseDurationMs } from './duration.ts';
import { CredkitError } from './errors.ts';
import type { FlagSpec } from './flag-spec.ts';

export const LOG_FLAG_FAMILIES = ['credkit', 'klog', 'component-base', 'cobra'] as const;
export type LogFlagFamily = (typeof LOG_FLAG_FAMILIES)[number];

export interface LogFlagSpec extends FlagSpec {
  /** Upstream's check of the value; returns what a good value looks like when it fails. */
  check?: (value: string) => string | undefined;
  /** Set when credkit has no such concept: why the flag changes nothing here (the --v>=1 note). */
  ignored?: string;
}

export interface LogFlagSet {
  flags: Record<string, LogFlagSpec>;
  /** Go's flag package reads `-name` as `--name`; pflag (cobra) does not. */
  singleDashLong: boolean;
  /** cobra gives `--version` the shorthand `-v` unless another flag took it. */
  versionShort?: string;
}

// klog's Level.Set: strconv.ParseInt(value, 10, 32).
const checkLevel = (value: string) =>
  /^[+-]?\d+$/.test(value) && Math.abs(Number(value)) < 2 ** 31 ? undefined : 'a whole number such as 2';
// klog's parseModuleSpec: comma-separated pattern=N, empty entries skipped.
const checkVmodule = (value: string) =>
  value
    .split(',')
    .filter(Boolean)
    .every((part) => /^[^=]+=[+-]?\d+$/.test(part))
    ? undefined
    : 'comma-separated pattern=N settings such as exchange=4';
const checkDuration = (value: string) => {
  try {
    parseDurationMs(value);
    return undefined;
  } catch {
    return 'a Go duration such as 5s';
  }
};
const checkUint = (value: string) => (/^\d+$/.test(value) ? undefined : 'a whole number of megabytes');
// klog's traceLocation.Set: empty, or file.go:N with N > 0.
const checkTraceLocation = (value: string) =>
  value === '' || /^[^:]*\.[^:]*:0*[1-9]\d*$/.test(value) ? undefined : 'file:N such as exchange.go:42';
// klog's severityValue.Set: a name (any case) or a number.
const checkSeverity = (value: string) =>
  severityRank(value) === undefined ? 'INFO, WARNING, ERROR or FATAL' : undefined;

const NO_FILES = 'credkit writes no log files: every line goes to stderr, which the kubelet reads';

const V: LogFlagSpec = { type: 'string', description: 'log verbosity (klog levels)', check: checkLevel };
const VMODULE: LogFlagSpec = {
  type: 'string',
  description: 'klog per-file verbosity (pattern=N,...): checked, then ignored',
  check: checkVmodule,
  ignored: 'credkit has no per-file verbosity; --v applies everywhere',
};

const KLOG_FLAGS: Record<string, LogFlagSpec> = {
  v: { ...V, short: 'v' },
  vmodule: VMODULE,
  logtostderr: { type: 'boolean', description: 'log to stderr (always true here)' },
  alsologtostderr: { type: 'boolean', description: 'also log to stderr (always true here)' },
  stderrthreshold: {
    type: 'string',
    description: 'lowest severity written: INFO (default here, as upstream sets it), WARNING, ERROR, FATAL',
    check: checkSeverity,
  },
  alsologtostderrthreshold: {
    type: 'string',
    description: 'lowest severity written with --logtostderr=false --alsologtostderr',
    check: checkSeverity,
  },
  legacy_stderr_threshold_behavior: {
    type: 'boolean',
    description: 'true: ignore --stderrthreshold while --logtostderr (default false, as upstream sets it)',
  },
  skip_headers: { type: 'boolean', description: 'text lines without the klog header' },
  add_dir_header: {
    type: 'boolean',
    description: 'accepted; ignored',
    ignored: 'the credkit header names no source file',
  },
  log_dir: { type: 'string', description: 'accepted; ignored (logs go to stderr)', ignored: NO_FILES },
  log_file: { type: 'string', description: 'accepted; ignored (logs go to stderr)', ignored: NO_FILES },
  log_file_max_size: {
    type: 'string',
    description: 'accepted; ignored (no log files)',
    check: checkUint,
    ignored: NO_FILES,
  },
  skip_log_headers: { type: 'boolean', description: 'accepted; ignored (no log files)', ignored: NO_FILES },
  one_output: { type: 'boolean', description: 'accepted; ignored (no log files)', ignored: NO_FILES },
  log_backtrace_at: {
    type: 'string',
    description: 'accepted; ignored (no stack traces)',
    check: checkTraceLocation,
    ignored: 'credkit never prints stack traces: every failure is one line',
  },
};

/** credkit's own, in every binary: `--v`, and the two klog flags configs most often carry. */
const CREDKIT_FLAGS: Record<string, LogFlagSpec> = {
  v: V,
  logtostderr: KLOG_FLAGS.logtostderr as LogFlagSpec,
  alsologtostderr: KLOG_FLAGS.alsologtostderr as LogFlagSpec,
};

/** Each family: credkit's own flags, then its upstream's (which may redefine `v` with its shorthand). */
export const LOG_FLAG_SETS: Record<LogFlagFamily, LogFlagSet> = {
  credkit: { flags: CREDKIT_FLAGS, singleDashLong: false },
  klog: { flags: { ...CREDKIT_FLAGS, ...KLOG_FLAGS }, singleDashLong: true },
  'component-base': {
    flags: {
      ...CREDKIT_FLAGS,
      v: { ...V, short: 'v' },
      vmodule: VMODULE,
      'log-flush-frequency': {
        type: 'string',
        description: 'accepted; ignored (every line is written at once)',
        check: checkDuration,
        ignored: 'credkit writes every line at once, there is nothing to flush',
      },
    },
    singleDashLong: false,
  },
  cobra: { flags: CREDKIT_FLAGS, singleDashLong: false, versionShort: 'v' },
};

/** What the logging flags ask of credkit's logger. */
export interface LogSettings {
  verbosity: number;
  /** false: --skip_headers. */
  headers: boolean;
  /** Lowest severity written to stderr (klog's numbers: 0 info ... 3 fatal). */
  stderrThreshold: number;
  /** One line per flag that was accepted but changes nothing here, for --v>=1. */
  notes: string[];
}

/** The values of a family's flags as the command line set them (undefined: not given). */
export type LogFlagValues = Record<string, string | boolean | string[] | undefined>;

/**
 * The logger settings the given values ask for. Values are those of the family's flags that the
 * command line set (undefined: not given). Throws a usage error for the first value upstream would refuse.
 */
export function logSettings(family: LogFlagFamily, values: LogFlagValues): LogSettings {
  const { flags } = LOG_FLAG_SETS[family];
  const notes: string[] = [];
  for (const [name, spec] of Object.entries(flags)) {
    const value = values[name];
    if (value === undefined) continue;
    const want = typeof value === 'string' ? spec.check?.(value) : undefined;
    if (want) throw new CredkitError('usage', `--${name} must be ${want}, got ${JSON.stringify(value)}`);
    if (spec.ignored && value !== false && value !== '')
      notes.push(`--${name} is accepted and ignored: ${spec.ignored}`);
  }
  if (values.logtostderr === false) notes.push(`--logtostderr=false is accepted and ignored: ${NO_FILES}`);
  return {
    verbosity: Math.max(0, Number(values.v ?? 0)),
    headers: values.skip_headers !== true,
    stderrThreshold: family === 'klog' ? klogStderrThreshold(values) : 0,
    notes,
  };
}

/**
 * Which lines klog writes to stderr (klog.go `output`), with auth-provider-gcp's own defaults:
 * `legacy_stderr_threshold_behavior=false` and `stderrthreshold=INFO` (main.go, PR #1080).
 */
function klogStderrThreshold(values: LogFlagValues): number {
  const threshold = severityRank(String(values.stderrthreshold ?? 'INFO')) ?? 0;
  if (values.logtostderr !== false) return values.legacy_stderr_threshold_behavior === true ? 0 : threshold;
  if (values.alsologtostderr === true) return severityRank(String(values.alsologtostderrthreshold ?? 'INFO')) ?? 0;
  return threshold;
}

const SEVERITY_NAMES = ['INFO', 'WARNING', 'ERROR', 'FATAL'];

function severityRank(value: string): number | undefined {
  const named = SEVERITY_NAMES.indexOf(value.toUpperCase());
  if (named >= 0) return named;
  return /^[+-]?\d+$/.test(value) && Math.abs(Number(value)) < 2 ** 31 ? Number(value) : undefined;
}

/**
 * The command line every credkit binary shares, the logging flags of the upstream it replaces
 * (log-flags.ts), plus the provider's own flags. The kubelet passes only the config's `args`, so
 * anything unknown is an operator typo: refuse it with a usage error rather than guess.
 */
import { parseDurationMs } from './duration.ts';
import { CredkitError } from './errors.ts';
import type { FlagSpecs, FlagValues } from './flag-spec.ts';
import type { LogFormat } from './log.ts';
import { LOG_FLAG_SETS, type LogFlagFamily, type LogSettings, logSettings } from './log-flags.ts';
import { DEFAULT_TIMEOUT_MS } from './retry.ts';

export interface CommonFlags {
  help: boolean;
  version: boolean;
  /** What the logging flags ask of the logger (verbosity, headers, threshold, notes). */
  log: LogSettings;
  logFormat: LogFormat;
  timeoutMs: number;
  /** --token-audience: overrides the provider's declared audience. */
  tokenAudience?: string;
}

/** The kubelet kills a credential provider at 60 s; the deadline must leave room to say why. */
export const MAX_TIMEOUT_MS = 55_000;

/** Flags of every credkit binary, whatever upstream it mirrors (the logging flags are per family). */
export const COMMON_FLAGS = {
  help: { type: 'boolean', short: 'h', description: 'print this help and exit' },
  version: { type: 'boolean', description: 'print the version and exit' },
  'log-format': { type: 'string', description: 'text or json', default: 'text' },
  timeout: {
    type: 'string',
    description: 'overall deadline, a Go duration, at most 55s (the kubelet kills at 60s)',
    default: '50s',
  },
  'token-audience': { type: 'string', description: "override the audience required of the pod's token" },
} as const satisfies FlagSpecs;

/** What a provider declares about its command line (a part of ProviderDefinition). */
export interface CommandLine<F extends FlagSpecs = FlagSpecs> {
  name: string;
  description?: string;
  flags?: F;
  logFlags?: LogFlagFamily;
  positionals?: string;
  help?: string;
}

export interface ParsedArgs<F extends FlagSpecs> {
  common: CommonFlags;
  flags: FlagValues<F>;
  positionals: string[];
}

/** Every flag a provider's binary takes: the common ones, its upstream's logging flags, its own. */
export function flagSpecsOf(provider: Pick<CommandLine, 'logFlags' | 'flags'>): FlagSpecs {
  const family = LOG_FLAG_SETS[logFlagsOf(provider)];
  const common: FlagSpecs = family.versionShort
    ? { ...COMMON_FLAGS, version: { ...COMMON_FLAGS.version, short: family.versionShort } }
    : COMMON_FLAGS;
  return { ...common, ...family.flags, ...(provider.flags ?? {}) };
}

export function logFlagsOf(provider: Pick<CommandLine, 'logFlags'>): LogFlagFamily {
  return provider.logFlags ?? 'credkit';
}

export function parseProviderArgs<F extends FlagSpecs>(provider: CommandLine<F>, argv: string[]): ParsedArgs<F> {
  const specs = flagSpecsOf(provider);
  const family = logFlagsOf(provider);
  const canonical = canonicalArgs(argv, specs, LOG_FLAG_SETS[family].singleDashLong);
  const parsed = collectCanonical(canonical.args, specs);
  const values = { ...parsed.values, ...Object.fromEntries(canonical.booleans) } as Record<
    string,
    string | boolean | string[] | undefined
  >;
  if (parsed.positionals.length > 0 && !provider.positionals) {
    throw new CredkitError('usage', `unexpected argument ${JSON.stringify(parsed.positionals[0])}: see --help`);
  }
  return { common: commonFlags(family, values), flags: values as FlagValues<F>, positionals: parsed.positionals };
}

/** An option's value as parseArgs gives it: a string, a boolean, or a list of either (`multiple`). */
export type ArgValue = string | boolean | Array<string | boolean>;

/**
 * The values and positionals of canonical arguments (canonicalArgs' output: every option a known
 * `--name=value` or `--name`, then `--` and positionals), with the specs' defaults, exactly as
 * node:util parseArgs({ strict: true, allowPositionals: true }) reads them: the tests hold it to
 * parseArgs' answers. Not parseArgs itself: canonicalArgs has done the parsing (Go's syntax, unknown
 * and value-less flags), what is left is collecting, and loading node:util costs a compiled bun
 * binary ~1.5 ms of every exec whose config passes a flag (bench/RESULTS.md).
 */
export function collectCanonical(
  args: string[],
  specs: FlagSpecs,
): { values: Record<string, ArgValue>; positionals: string[] } {
  const values: Record<string, ArgValue> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, text] = splitAssignment(arg.slice(2));
    const value = specs[name]?.type === 'boolean' ? true : (text ?? '');
    const list = values[name];
    values[name] = specs[name]?.multiple ? [...(Array.isArray(list) ? list : []), value] : value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (values[name] === undefined && spec.default !== undefined) values[name] = spec.default as ArgValue;
  }
  return { values, positionals };
}

/**
 * Go's flag package and pflag (the upstream binaries' parsers) take spellings node:util parseArgs
 * does not: `--flag=true|false` on booleans (parseArgs has no value for a boolean), `-v=4`
 * (parseArgs reads the value "=4"), a value starting with `-` after a flag that takes one (parseArgs
 * refuses it as ambiguous), and, for Go's flag only, one dash before a long name. This pass
 * rewrites every option into one form, `--name=value` or `--name`,
 * and sets the booleans' explicit values aside. It is hand-written because no kept library parses
 * Go's flag syntax; collectCanonical then reads that form as parseArgs would.
 */
function canonicalArgs(
  argv: string[],
  specs: FlagSpecs,
  singleDashLong: boolean,
): { args: string[]; booleans: Map<string, boolean> } {
  const shorts = new Map(Object.entries(specs).flatMap(([name, spec]) => (spec.short ? [[spec.short, name]] : [])));
  const args: string[] = [];
  const booleans = new Map<string, boolean>();
  const option = (name: string, value: string | undefined, token: string, next: () => string | undefined) => {
    const spec = specs[name];
    if (!spec) throw new CredkitError('usage', `Unknown option '${token.split('=')[0]}': see --help`);
    if (spec.type === 'boolean') {
      booleans.set(name, value === undefined ? true : goBool(name, value));
      args.push(`--${name}`);
      return;
    }
    const given = value ?? next();
    if (given === undefined) throw new CredkitError('usage', `Option '--${name}' needs a value: see --help`);
    args.push(`--${name}=${given}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    const next = () => (i + 1 < argv.length ? argv[++i] : undefined);
    if (token === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (token.startsWith('--')) {
      const [name, value] = splitAssignment(token.slice(2));
      option(name, value, token, next);
    } else if (token.startsWith('-') && token.length > 1) {
      const [name, value] = splitAssignment(token.slice(1));
      if (singleDashLong && name.length > 1 && specs[name]) option(name, value, token, next);
      else shortCluster(token, shorts, specs, (long, v) => option(long, v, token, next));
    } else {
      args.push(token);
    }
  }
  return { args, booleans };
}

/** pflag's `-abc`: booleans, until a flag that takes a value takes the rest (`-v4`, `-v=4`) or the next word. */
function shortCluster(
  token: string,
  shorts: Map<string, string>,
  specs: FlagSpecs,
  option: (name: string, value: string | undefined) => void,
): void {
  const body = token.slice(1);
  for (let at = 0; at < body.length; at++) {
    const name = shorts.get(body[at] as string);
    if (!name) throw new CredkitError('usage', `Unknown option '${token.split('=')[0]}': see --help`);
    const rest = body.slice(at + 1);
    if (rest.startsWith('=')) {
      option(name, rest.slice(1));
      return;
    }
    if (specs[name]?.type === 'string') {
      option(name, rest === '' ? undefined : rest);
      return;
    }
    option(name, undefined);
  }
}

function splitAssignment(text: string): [string, string | undefined] {
  const eq = text.indexOf('=');
  return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

/** Go's strconv.ParseBool, which both Go's flag and pflag use for `--flag=value`. */
function goBool(name: string, value: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new CredkitError('usage', `--${name} must be true or false, got ${JSON.stringify(value)}`);
}

function commonFlags(family: LogFlagFamily, values: Record<string, unknown>): CommonFlags {
  const log = logSettings(family, values as Parameters<typeof logSettings>[1]);
  const logFormat = values['log-format'];
  if (logFormat !== 'text' && logFormat !== 'json') {
    throw new CredkitError('usage', `--log-format must be text or json, got ${JSON.stringify(logFormat)}`);
  }
  const tokenAudience = values['token-audience'];
  return {
    help: values.help === true,
    version: values.version === true,
    log,
    logFormat,
    timeoutMs: timeoutOf(values.timeout),
    ...(typeof tokenAudience === 'string' && tokenAudience !== '' ? { tokenAudience } : {}),
  };
}

function timeoutOf(value: unknown): number {
  let timeoutMs: number;
  try {
    timeoutMs = value === undefined ? DEFAULT_TIMEOUT_MS : parseDurationMs(String(value));
  } catch {
    throw new CredkitError('usage', `--timeout must be a Go duration such as 50s, got ${JSON.stringify(value)}`);
  }
  if (timeoutMs <= 0) throw new CredkitError('usage', '--timeout must be positive');
  if (timeoutMs > MAX_TIMEOUT_MS) {
    throw new CredkitError(
      'usage',
      `--timeout must be at most 55s, got ${JSON.stringify(value)}: the kubelet kills a credential provider at 60s`,
    );
  }
  return timeoutMs;
}

/** The flags part of --help, one line per declared flag (the binaries' and the credkit CLI's). */
export function flagHelpLines(specs: FlagSpecs): string[] {
  return Object.entries(specs).map(([name, spec]) => {
    const value = spec.type === 'string' ? `=${spec.value ?? 'VALUE'}` : '';
    const short = spec.short ? `-${spec.short}, ` : '';
    const repeatable = spec.multiple ? ' (repeatable)' : '';
    return `${`  ${short}--${name}${value}`.padEnd(37)} ${spec.description}${repeatable}`;
  });
}

/** --help text: usage, the flags (common, logging and the provider's), and the provider's own notes. */
export function helpText<F extends FlagSpecs>(provider: CommandLine<F>): string {
  const lines = flagHelpLines(flagSpecsOf(provider));
  const usage = `usage: ${provider.name} [flags]${provider.positionals ? ` ${provider.positionals}` : ''} < CredentialProviderRequest`;
  return [
    provider.description ? `${provider.name}: ${provider.description}` : provider.name,
    '',
    usage,
    '',
    'flags:',
    ...lines,
    ...(provider.help ? ['', provider.help.trim()] : []),
    '',
  ].join('\n');
}

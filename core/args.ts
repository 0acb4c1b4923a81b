/**
 * The command line every credkit binary shares, plus the provider's own flags. The kubelet passes
 * only the config's `args`, so anything unknown is an operator typo: refuse it with a usage error
 * rather than guess.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseDurationMs } from './duration.ts';
import { CredkitError } from './errors.ts';
import type { LogFormat } from './log.ts';
import type { FlagSpecs, FlagValues, ProviderDefinition } from './provider.ts';
import { DEFAULT_TIMEOUT_MS } from './retry.ts';

export interface CommonFlags {
  help: boolean;
  version: boolean;
  verbosity: number;
  logFormat: LogFormat;
  timeoutMs: number;
  /** --token-audience: overrides the provider's declared audience. */
  tokenAudience?: string;
}

export const COMMON_FLAGS = {
  help: { type: 'boolean', short: 'h', description: 'print this help and exit' },
  version: { type: 'boolean', description: 'print the version and exit' },
  v: { type: 'string', description: 'log verbosity, klog style (0-10)', default: '0' },
  'log-format': { type: 'string', description: 'text or json', default: 'text' },
  timeout: { type: 'string', description: 'overall deadline, a Go duration (kubelet kills at 60s)', default: '50s' },
  'token-audience': { type: 'string', description: "override the audience required of the pod's token" },
  // klog flags that Go providers' configs commonly carry; accepted so configs move over unchanged.
  logtostderr: { type: 'boolean', description: 'accepted for klog compatibility; logs always go to stderr' },
  alsologtostderr: { type: 'boolean', description: 'accepted for klog compatibility' },
} as const satisfies FlagSpecs;

export interface ParsedArgs<F extends FlagSpecs> {
  common: CommonFlags;
  flags: FlagValues<F>;
  positionals: string[];
}

export function parseProviderArgs<F extends FlagSpecs>(provider: ProviderDefinition<F>, argv: string[]): ParsedArgs<F> {
  const specs = { ...COMMON_FLAGS, ...(provider.flags ?? {}) } as FlagSpecs;
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      {
        type: spec.type,
        ...(spec.short ? { short: spec.short } : {}),
        ...(spec.multiple ? { multiple: true } : {}),
        ...(spec.default !== undefined ? { default: spec.default } : {}),
      },
    ]),
  ) as ParseArgsConfig['options'];

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CredkitError('usage', `${(error as Error).message.split(/\. |\n/)[0]}: see --help`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (parsed.positionals.length > 0 && !provider.positionals) {
    throw new CredkitError('usage', `unexpected argument ${JSON.stringify(parsed.positionals[0])}: see --help`);
  }
  return { common: commonFlags(values), flags: values as FlagValues<F>, positionals: parsed.positionals };
}

function commonFlags(values: Record<string, unknown>): CommonFlags {
  const verbosity = Number(values.v);
  if (!Number.isInteger(verbosity) || verbosity < 0) {
    throw new CredkitError('usage', `--v must be a whole number >= 0, got ${JSON.stringify(values.v)}`);
  }
  const logFormat = values['log-format'];
  if (logFormat !== 'text' && logFormat !== 'json') {
    throw new CredkitError('usage', `--log-format must be text or json, got ${JSON.stringify(logFormat)}`);
  }
  let timeoutMs: number;
  try {
    timeoutMs = parseDurationMs(String(values.timeout ?? '50s'));
  } catch {
    throw new CredkitError(
      'usage',
      `--timeout must be a Go duration such as 50s, got ${JSON.stringify(values.timeout)}`,
    );
  }
  if (timeoutMs <= 0) throw new CredkitError('usage', '--timeout must be positive');
  const tokenAudience = values['token-audience'];
  return {
    help: values.help === true,
    version: values.version === true,
    verbosity,
    logFormat,
    timeoutMs: timeoutMs || DEFAULT_TIMEOUT_MS,
    ...(typeof tokenAudience === 'string' && tokenAudience !== '' ? { tokenAudience } : {}),
  };
}

/** --help text: usage, the flags (common and the provider's), and the provider's own notes. */
export function helpText<F extends FlagSpecs>(provider: ProviderDefinition<F>): string {
  const specs = { ...COMMON_FLAGS, ...(provider.flags ?? {}) } as FlagSpecs;
  const lines = Object.entries(specs).map(([name, spec]) => {
    const value = spec.type === 'string' ? '=VALUE' : '';
    return `  --${name}${value}`.padEnd(34) + spec.description;
  });
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

/**
 * How a credkit command declares itself: its usage, what it does, and its flags, once. The one
 * declaration parses argv (node:util parseArgs) and renders --help (the core's flag table, as the
 * provider binaries render theirs), so the help cannot drift from what is accepted.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { flagHelpLines } from '../core/args.ts';
import { CredkitError, type FlagSpecs, type FlagValues } from '../core/index.ts';

export interface CommandSpec<F extends FlagSpecs> {
  /** `build`, `config`, ...: as typed after `credkit`. */
  name: string;
  /** What follows `credkit <name>` in the usage line. */
  usage: string;
  /** A paragraph for --help. */
  description: string;
  flags: F;
}

const HELP_FLAG = { help: { type: 'boolean', short: 'h', description: 'print this help and exit' } } as const;

export type Parsed<F extends FlagSpecs> =
  | { help: true }
  | { help: false; values: FlagValues<F>; positionals: string[] };

export function commandHelp<F extends FlagSpecs>(spec: CommandSpec<F>): string {
  return [
    `usage: credkit ${spec.name} ${spec.usage}`,
    '',
    spec.description.trim(),
    '',
    'flags:',
    ...flagHelpLines({ ...spec.flags, ...HELP_FLAG }),
    '',
  ].join('\n');
}

/** The parseArgs options for declared flags: one declaration feeds both parsing and --help. */
function parseArgsOptions(specs: FlagSpecs): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      {
        type: spec.type,
        ...(spec.short ? { short: spec.short } : {}),
        ...(spec.multiple ? { multiple: true } : {}),
        ...(spec.default !== undefined ? { default: spec.default } : {}),
      },
    ]),
  ) as NonNullable<ParseArgsConfig['options']>;
}

/** Unknown flags and missing values are usage errors, in one line that points at --help. */
export function parseCommand<F extends FlagSpecs>(spec: CommandSpec<F>, argv: string[]): Parsed<F> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: parseArgsOptions({ ...spec.flags, ...HELP_FLAG }),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const reason = (error as Error).message.split(/\. |\n/)[0];
    throw new CredkitError('usage', `${reason}: see credkit ${spec.name} --help`);
  }
  if (parsed.values.help) return { help: true };
  return { help: false, values: parsed.values as FlagValues<F>, positionals: parsed.positionals };
}

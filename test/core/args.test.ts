import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { collectCanonical, helpText, MAX_TIMEOUT_MS, parseProviderArgs } from '../../core/args.ts';
import { CredkitError } from '../../core/errors.ts';
import type { LogFlagFamily } from '../../core/log-flags.ts';
import { defineProvider, type FlagSpecs, type Provider } from '../../core/provider.ts';

const getCredentials = async () => null;

/** One provider per logging family, with the kind of own flags its upstream has. */
const providers = {
  credkit: defineProvider({
    name: 'p',
    matchImages: ['*.example.com'],
    flags: { 'registry-mirror': { type: 'string', description: 'mirrors' } },
    positionals: '[config.json]',
    getCredentials,
  }),
  // auth-provider-gcp: `get-credentials`, `-a`/`--authFlow`, klog.InitFlags.
  klog: defineProvider({
    name: 'gar-like',
    matchImages: ['*.pkg.dev'],
    logFlags: 'klog',
    flags: {
      authFlow: { type: 'string', short: 'a', default: 'gcr', description: 'flow' },
      'project-id': { type: 'string', description: 'project' },
    },
    positionals: 'get-credentials',
    getCredentials,
  }),
  // acr-credential-provider: `<azure.json>`, `-r`/`--registry-mirror`, component-base logs.AddFlags.
  'component-base': defineProvider({
    name: 'acr-like',
    matchImages: ['*.azurecr.io'],
    logFlags: 'component-base',
    flags: { 'registry-mirror': { type: 'string', short: 'r', description: 'mirrors' } },
    positionals: '<azure.json>',
    getCredentials,
  }),
  // ecr-credential-provider: a cobra command with a Version.
  cobra: defineProvider({
    name: 'ecr-like',
    matchImages: ['*.amazonaws.com'],
    logFlags: 'cobra',
    flags: { 'require-role': { type: 'boolean', description: 'role' } },
    positionals: '[get-credentials]',
    getCredentials,
  }),
} satisfies Record<LogFlagFamily, unknown>;

type Family = keyof typeof providers;
const parse = (family: Family, argv: string[]) => {
  const parsed = parseProviderArgs(providers[family] as Provider, argv);
  return { ...parsed, flags: parsed.flags as Record<string, unknown> };
};

describe('the common flags', () => {
  it.each([
    {
      name: 'defaults',
      argv: [],
      check: { log: { verbosity: 0, headers: true }, logFormat: 'text', timeoutMs: 50_000 },
    },
    { name: 'json logs', argv: ['--log-format=json'], check: { logFormat: 'json' } },
    { name: 'timeout, value apart', argv: ['--timeout', '10s'], check: { timeoutMs: 10_000 } },
    { name: 'timeout at the cap', argv: ['--timeout=55s'], check: { timeoutMs: MAX_TIMEOUT_MS } },
    { name: 'audience override', argv: ['--token-audience=custom'], check: { tokenAudience: 'custom' } },
    { name: 'help', argv: ['-h'], check: { help: true } },
  ])('$name', ({ argv, check }) => {
    for (const family of Object.keys(providers) as Family[]) expect(parse(family, argv).common).toMatchObject(check);
  });

  it('passes provider flags and positionals through', () => {
    const parsed = parse('credkit', ['/etc/kubernetes/azure.json', '--registry-mirror=a:b']);
    expect(parsed.flags['registry-mirror']).toBe('a:b');
    expect(parsed.positionals).toEqual(['/etc/kubernetes/azure.json']);
  });

  it('refuses positionals when the provider takes none', () => {
    const plain = defineProvider({ name: 'q', matchImages: ['x.io'], getCredentials });
    expect(() => parseProviderArgs(plain, ['extra'])).toThrow(/unexpected argument "extra"/);
  });
});

// What each upstream binary accepts, spelled the ways its parser takes: Go's flag package (klog,
// one or two dashes), pflag (component-base and cobra: two dashes, shorthands with one).
interface FamilyCase {
  name: string;
  argv: string[];
  check: Record<string, unknown>;
}

describe.each<{ family: Family; cases: FamilyCase[] }>([
  {
    family: 'credkit',
    cases: [
      { name: '--v=4', argv: ['--v=4'], check: { log: { verbosity: 4 } } },
      { name: '--v 4', argv: ['--v', '4'], check: { log: { verbosity: 4 } } },
      { name: '--logtostderr', argv: ['--logtostderr'], check: { log: { notes: [] } } },
      { name: '--alsologtostderr=true', argv: ['--alsologtostderr=true'], check: { log: { notes: [] } } },
      {
        name: '--logtostderr=false: noted',
        argv: ['--logtostderr=false'],
        check: { log: { notes: [expect.stringMatching(/^--logtostderr=false is accepted and ignored/)] } },
      },
    ],
  },
  {
    family: 'klog',
    cases: [
      { name: 'GKE: get-credentials --v=3', argv: ['get-credentials', '--v=3'], check: { log: { verbosity: 3 } } },
      { name: '-v=3', argv: ['-v=3'], check: { log: { verbosity: 3 } } },
      { name: '-v 3', argv: ['-v', '3'], check: { log: { verbosity: 3 } } },
      { name: '-v3', argv: ['-v3'], check: { log: { verbosity: 3 } } },
      { name: '--v 3', argv: ['--v', '3'], check: { log: { verbosity: 3 } } },
      { name: '-v=+3 (Go ParseInt)', argv: ['-v=+3'], check: { log: { verbosity: 3 } } },
      { name: '-v=-1: no verbose lines', argv: ['-v=-1'], check: { log: { verbosity: 0 } } },
      { name: '--logtostderr', argv: ['--logtostderr'], check: { log: { notes: [] } } },
      { name: '-logtostderr (one dash)', argv: ['-logtostderr'], check: { log: { notes: [] } } },
      { name: '--logtostderr=true', argv: ['--logtostderr=true'], check: { log: { notes: [] } } },
      { name: '-logtostderr=1', argv: ['-logtostderr=1'], check: { log: { notes: [] } } },
      {
        name: '--logtostderr=false: noted',
        argv: ['--logtostderr=false'],
        check: { log: { notes: [expect.stringMatching(/^--logtostderr=false is accepted and ignored/)] } },
      },
      { name: '--alsologtostderr', argv: ['--alsologtostderr'], check: { log: { notes: [] } } },
      { name: 'threshold default INFO (upstream sets it)', argv: [], check: { log: { stderrThreshold: 0 } } },
      {
        name: '--stderrthreshold=WARNING',
        argv: ['--stderrthreshold=WARNING'],
        check: { log: { stderrThreshold: 1 } },
      },
      { name: '--stderrthreshold error', argv: ['--stderrthreshold', 'error'], check: { log: { stderrThreshold: 2 } } },
      { name: '-stderrthreshold=2', argv: ['-stderrthreshold=2'], check: { log: { stderrThreshold: 2 } } },
      {
        name: 'legacy threshold behaviour: threshold ignored with logtostderr',
        argv: ['--stderrthreshold=ERROR', '--legacy_stderr_threshold_behavior=true'],
        check: { log: { stderrThreshold: 0 } },
      },
      {
        name: '--logtostderr=false --alsologtostderr: alsologtostderrthreshold',
        argv: ['--logtostderr=false', '--alsologtostderr', '--alsologtostderrthreshold=WARNING'],
        check: { log: { stderrThreshold: 1 } },
      },
      { name: '--skip_headers', argv: ['--skip_headers'], check: { log: { headers: false } } },
      { name: '-skip_headers=true', argv: ['-skip_headers=true'], check: { log: { headers: false } } },
      {
        name: 'last one wins',
        argv: ['--skip_headers', '--skip_headers=false'],
        check: { log: { headers: true } },
      },
      ...[
        ['--vmodule=exchange=2,metadata=4', 'vmodule'],
        ['-vmodule=x=2', 'vmodule'],
        ['--log_dir=/var/log/gcp', 'log_dir'],
        ['--log_file', '/var/log/gcp.log', 'log_file'],
        ['-log_file_max_size=10', 'log_file_max_size'],
        ['--skip_log_headers', 'skip_log_headers'],
        ['--add_dir_header', 'add_dir_header'],
        ['--one_output=true', 'one_output'],
        ['--log_backtrace_at=provider.go:42', 'log_backtrace_at'],
      ].map((words) => {
        const flag = words.at(-1) as string;
        return {
          name: `${words.slice(0, -1).join(' ')}: accepted, noted`,
          argv: words.slice(0, -1),
          check: { log: { notes: [expect.stringMatching(new RegExp(`^--${flag} is accepted and ignored: `))] } },
        };
      }),
      { name: '--log_dir= (empty): nothing to note', argv: ['--log_dir='], check: { log: { notes: [] } } },
    ],
  },
  {
    family: 'component-base',
    cases: [
      { name: '-v 4', argv: ['-v', '4'], check: { log: { verbosity: 4 } } },
      { name: '-v=4', argv: ['-v=4'], check: { log: { verbosity: 4 } } },
      { name: '--v=4', argv: ['--v=4'], check: { log: { verbosity: 4 } } },
      { name: '--v 4', argv: ['--v', '4'], check: { log: { verbosity: 4 } } },
      {
        name: '--vmodule=x=2: noted',
        argv: ['--vmodule=x=2'],
        check: { log: { notes: [expect.stringMatching(/^--vmodule is accepted and ignored/)] } },
      },
      {
        name: '--log-flush-frequency 10s: noted',
        argv: ['--log-flush-frequency', '10s'],
        check: { log: { notes: [expect.stringMatching(/^--log-flush-frequency is accepted and ignored/)] } },
      },
      { name: 'no threshold flag: every line', argv: [], check: { log: { stderrThreshold: 0 } } },
      { name: "credkit's --logtostderr too", argv: ['--logtostderr=true'], check: { log: { notes: [] } } },
    ],
  },
  {
    family: 'cobra',
    cases: [
      { name: '-v is --version', argv: ['-v'], check: { version: true, log: { verbosity: 0 } } },
      { name: '--version', argv: ['--version'], check: { version: true } },
      { name: '--version=false', argv: ['--version=false'], check: { version: false } },
      { name: '-vh: shorthands together', argv: ['-vh'], check: { version: true, help: true } },
      { name: "credkit's --v stays", argv: ['--v=4'], check: { version: false, log: { verbosity: 4 } } },
      { name: 'positional get-credentials', argv: ['get-credentials'], check: { version: false } },
      { name: "credkit's --alsologtostderr too", argv: ['--alsologtostderr'], check: { log: { notes: [] } } },
    ],
  },
])('$family logging flags', ({ family, cases }) => {
  it.each(cases)('$name', ({ argv, check }) => {
    expect(parse(family, argv).common).toMatchObject(check);
  });
});

describe('provider flags in Go spellings', () => {
  it.each([
    { name: '-a gcr', argv: ['-a', 'gcr'], authFlow: 'gcr' },
    { name: '-adockercfg', argv: ['-adockercfg'], authFlow: 'dockercfg' },
    { name: '-a=dockercfg', argv: ['-a=dockercfg'], authFlow: 'dockercfg' },
    { name: '--authFlow dockercfg', argv: ['--authFlow', 'dockercfg'], authFlow: 'dockercfg' },
    { name: '-authFlow=dockercfg (Go, one dash)', argv: ['-authFlow=dockercfg'], authFlow: 'dockercfg' },
    { name: 'default', argv: [], authFlow: 'gcr' },
  ])('$name', ({ argv, authFlow }) => {
    expect(parse('klog', argv).flags.authFlow).toBe(authFlow);
  });

  it('takes the next word as the value even when it starts with a dash, as Go and pflag do', () => {
    expect(parse('klog', ['--project-id', '-odd']).flags['project-id']).toBe('-odd');
  });

  it('leaves everything after -- as positionals', () => {
    expect(parse('klog', ['get-credentials', '--', '--v=3']).positionals).toEqual(['get-credentials', '--v=3']);
  });

  it('reads the ACR shorthand -r and the config file', () => {
    const parsed = parse('component-base', ['/etc/kubernetes/azure.json', '-r', 'mcr.microsoft.com:x.azurecr.io']);
    expect(parsed.flags['registry-mirror']).toBe('mcr.microsoft.com:x.azurecr.io');
    expect(parsed.positionals).toEqual(['/etc/kubernetes/azure.json']);
  });
});

describe('collectCanonical reads canonical arguments as node:util parseArgs does', () => {
  const specs: FlagSpecs = {
    flag: { type: 'boolean', description: 'a boolean' },
    name: { type: 'string', description: 'a string' },
    region: { type: 'string', default: 'us-west-2', description: 'a string with a default' },
    mirror: { type: 'string', multiple: true, description: 'repeatable' },
    loud: { type: 'boolean', multiple: true, description: 'repeatable boolean' },
  };
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      {
        type: spec.type,
        ...(spec.multiple ? { multiple: true } : {}),
        ...(spec.default ? { default: spec.default } : {}),
      },
    ]),
  ) as ParseArgsConfig['options'];
  it.each([
    { name: 'nothing', args: [] },
    { name: 'positionals only', args: ['get-credentials', '/etc/kubernetes/azure.json', '-'] },
    { name: 'a boolean and a string', args: ['--flag', '--name=a'] },
    { name: 'an empty value', args: ['--name='] },
    { name: 'a value with = in it', args: ['--name=a=b=c'] },
    { name: 'the last of a repeated string wins', args: ['--name=a', '--name=b'] },
    { name: 'a default, then given', args: ['--region=eu-west-1'] },
    { name: 'multiples in order', args: ['--mirror=a:b', 'x', '--mirror=c:d', '--loud', '--loud'] },
    { name: 'after -- everything is a positional', args: ['a', '--', '--name=x', '--', '-'] },
    { name: 'options around positionals', args: ['p1', '--flag', 'p2', '--name=n', 'p3'] },
  ])('$name', ({ args }) => {
    const reference = parseArgs({ args, options, allowPositionals: true, strict: true });
    expect(collectCanonical(args, specs)).toEqual({
      values: { ...reference.values },
      positionals: reference.positionals,
    });
  });

  it('a provider binary never loads node:util', () => {
    // The binaries' start-up path: core/args.ts imports no node builtin (bench/RESULTS.md).
    expect(readFileSync(fileURLToPath(new URL('../../core/args.ts', import.meta.url)), 'utf8')).not.toMatch(
      /from 'node:|getBuiltinModule/,
    );
  });
});

describe('bad command lines are one-line usage errors', () => {
  it.each([
    { family: 'credkit', argv: ['--bogus'], message: /^Unknown option '--bogus': see --help$/ },
    { family: 'credkit', argv: ['-v', '4'], message: /Unknown option '-v'/ },
    { family: 'credkit', argv: ['--vmodule=x=2'], message: /Unknown option '--vmodule'/ },
    { family: 'credkit', argv: ['--v=loud'], message: /^--v must be a whole number such as 2, got "loud"$/ },
    { family: 'credkit', argv: ['--v=1.5'], message: /--v must be a whole number/ },
    { family: 'credkit', argv: ['--v'], message: /Option '--v' needs a value/ },
    { family: 'credkit', argv: ['--log-format=yaml'], message: /--log-format must be text or json/ },
    { family: 'credkit', argv: ['--timeout=5'], message: /--timeout must be a Go duration/ },
    { family: 'credkit', argv: ['--timeout=0s'], message: /--timeout must be positive/ },
    {
      family: 'credkit',
      argv: ['--timeout=56s'],
      message: /--timeout must be at most 55s, got "56s": the kubelet kills/,
    },
    { family: 'cobra', argv: ['--timeout=10m'], message: /--timeout must be at most 55s/ },
    { family: 'klog', argv: ['--timeout', '1m'], message: /--timeout must be at most 55s/ },
    { family: 'component-base', argv: ['--timeout=55001ms'], message: /--timeout must be at most 55s/ },
    { family: 'klog', argv: ['-bogus'], message: /^Unknown option '-bogus': see --help$/ },
    { family: 'klog', argv: ['--bogus=1'], message: /^Unknown option '--bogus': see --help$/ },
    { family: 'klog', argv: ['--log-flush-frequency=5s'], message: /Unknown option '--log-flush-frequency'/ },
    { family: 'klog', argv: ['-v'], message: /Option '--v' needs a value/ },
    { family: 'klog', argv: ['-v=loud'], message: /--v must be a whole number such as 2, got "loud"/ },
    { family: 'klog', argv: ['--logtostderr=yes'], message: /^--logtostderr must be true or false, got "yes"$/ },
    { family: 'klog', argv: ['--vmodule=exchange'], message: /--vmodule must be comma-separated pattern=N/ },
    { family: 'klog', argv: ['--stderrthreshold=LOUD'], message: /--stderrthreshold must be INFO, WARNING/ },
    { family: 'klog', argv: ['--log_backtrace_at=provider'], message: /--log_backtrace_at must be file:N/ },
    { family: 'klog', argv: ['--log_backtrace_at=a.go:0'], message: /--log_backtrace_at must be file:N/ },
    { family: 'klog', argv: ['--log_file_max_size=-1'], message: /--log_file_max_size must be a whole number/ },
    // pflag: one dash is a shorthand, so `-vmodule=x=2` is `-v` "module=x=2"; no klog file flags either.
    {
      family: 'component-base',
      argv: ['-vmodule=x=2'],
      message: /^--v must be a whole number such as 2, got "module=x=2"$/,
    },
    { family: 'component-base', argv: ['--skip_headers'], message: /Unknown option '--skip_headers'/ },
    {
      family: 'component-base',
      argv: ['--log-flush-frequency=5'],
      message: /--log-flush-frequency must be a Go duration/,
    },
    { family: 'cobra', argv: ['--vmodule=x=2'], message: /Unknown option '--vmodule'/ },
    { family: 'cobra', argv: ['-v=4'], message: /--version must be true or false, got "4"/ },
  ] as const)('$family $argv', ({ family, argv, message }) => {
    try {
      parse(family, [...argv]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CredkitError);
      expect((error as CredkitError).kind).toBe('usage');
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });
});

describe('--help', () => {
  it.each([
    {
      family: 'credkit',
      flags: ['--v=VALUE', '--log-format', '--timeout', '--token-audience', '--registry-mirror', '[config.json]'],
    },
    {
      family: 'klog',
      flags: ['-v, --v=VALUE', '--vmodule=VALUE', '--log_dir=VALUE', '--skip_headers', '-a, --authFlow'],
    },
    {
      family: 'component-base',
      flags: ['-v, --v=VALUE', '--vmodule', '--log-flush-frequency', '-r, --registry-mirror'],
    },
    { family: 'cobra', flags: ['-v, --version', '--v=VALUE', '-h, --help'] },
  ] as const)('$family lists every flag', ({ family, flags }) => {
    const text = helpText(providers[family] as Provider);
    for (const flag of flags) expect(text).toContain(flag);
  });
});

describe('defineProvider keeps the core flags to the core', () => {
  it.each<{ name: string; flags: FlagSpecs }>([
    { name: 'a provider flag named like a common one', flags: { timeout: { type: 'string', description: 'x' } } },
    { name: 'a provider flag named like a logging one', flags: { vmodule: { type: 'string', description: 'x' } } },
    { name: 'a shorthand the family uses', flags: { verbose: { type: 'boolean', short: 'v', description: 'x' } } },
  ])('refuses $name', ({ flags }) => {
    expect(() => defineProvider({ name: 'p', matchImages: ['x.io'], logFlags: 'klog', flags, getCredentials })).toThrow(
      /belongs to the core/,
    );
  });

  it('refuses an unknown family', () => {
    expect(() =>
      defineProvider({ name: 'p', matchImages: ['x.io'], logFlags: 'glog' as LogFlagFamily, getCredentials }),
    ).toThrow(/logFlags must be one of credkit, klog, component-base, cobra/);
  });
});

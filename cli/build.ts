/**
 * `credkit build <module> -o <file> [--target ...] [--backend ...]`: turns a module whose default
 * export is a provider (made with defineProvider) into one standalone executable, for nodes that
 * have no Node.js. docs/binaries.md explains the choices; bench/RESULTS.md holds the figures.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CredkitError, type FlagSpecs, oneLine } from '../core/index.ts';
import { compileWithBun } from './build/bun.ts';
import { writeProviderEntry } from './build/entry.ts';
import { compileWithNodeSea } from './build/node-sea.ts';
import { bunExecutable, requireNodeSeaTools } from './build/runtimes.ts';
import {
  BACKENDS,
  type Backend,
  executableName,
  hostTarget,
  isBackend,
  isTarget,
  TARGETS,
  type Target,
} from './build/targets.ts';
import { type CommandSpec, commandHelp, parseCommand } from './command.ts';

export { BACKENDS, type Backend, hostTarget, TARGETS, type Target } from './build/targets.ts';

export interface BuildOptions {
  /** The provider module (default export), or with `wrap: false` a complete entry point. */
  entry: string;
  outfile: string;
  /** Default: this machine's platform. */
  target?: Target;
  /** Default: bun. */
  backend?: Backend;
  /**
   * true (default): `entry`'s default export is handed to the kit's `main`. false: `entry` already
   * calls `main` itself (the cli/<cloud>.ts entry points of the per-cloud binaries).
   */
  wrap?: boolean;
  /**
   * Also write the bundler's metafile (esbuild's format, which bun writes too) here: which modules,
   * from which packages, went into the binary. The release's SBOM is made from it.
   */
  metafile?: string;
}

export interface BuildResult {
  outfile: string;
  target: Target;
  backend: Backend;
  bytes: number;
  durationMs: number;
}

export async function build(options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const backend = options.backend ?? 'bun';
  const target = options.target ?? defaultTarget();
  const entry = resolve(options.entry);
  if (!existsSync(entry)) throw new CredkitError('usage', `module ${options.entry} does not exist`);
  if (backend === 'node-sea' && target !== hostTarget()) {
    throw new CredkitError(
      'usage',
      `--backend node-sea builds for this machine only (${hostTarget() ?? 'unsupported'}): use --backend bun for ${target}`,
    );
  }
  // The back-end's tools are optional peers: say which one is missing before anything is written.
  if (backend === 'bun') bunExecutable();
  else requireNodeSeaTools();
  const outfile = resolve(executableName(options.outfile, target));
  mkdirSync(dirname(outfile), { recursive: true });
  // Build beside the final file and rename: a kubelet (or a parallel test run) never execs half a file.
  const staging = executableName(join(dirname(outfile), `.${basename(outfile)}.${process.pid}.tmp`), target);
  const generated =
    options.wrap === false ? undefined : writeProviderEntry(entry, { topLevelAwait: backend === 'bun' });
  const workDir = mkdtempSync(join(tmpdir(), 'credkit-work-'));
  try {
    const input = { entry: generated?.file ?? entry, outfile: staging, target, metafile: options.metafile };
    if (backend === 'bun') await compileWithBun(input);
    else await compileWithNodeSea({ ...input, workDir });
    if (target === hostTarget()) await smokeTest(staging, options.entry);
    renameSync(staging, outfile);
  } catch (error) {
    rmSync(staging, { force: true });
    throw error instanceof CredkitError
      ? error
      : new CredkitError('internal', `building ${options.entry} failed: ${(error as Error).message}`);
  } finally {
    generated?.dispose();
    rmSync(workDir, { recursive: true, force: true });
  }
  return { outfile, target, backend, bytes: statSync(outfile).size, durationMs: performance.now() - started };
}

function defaultTarget(): Target {
  const host = hostTarget();
  if (!host)
    throw new CredkitError(
      'usage',
      `this machine (${process.platform}-${process.arch}) is no kubelet target: pass --target ${TARGETS.join('|')}`,
    );
  return host;
}

/** Runs the new binary once with --version: proves it starts and its module exports a provider. */
function smokeTest(file: string, module: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, ['--version'], { timeout: 30_000, encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (!error) return resolvePromise();
      const reason = oneLine(stderr) || error.message;
      reject(new CredkitError('usage', `the binary built from ${module} does not start: ${reason}`));
    });
  });
}

export const BUILD_COMMAND = {
  name: 'build',
  usage: '<module> -o <file> [flags]',
  description: `Compiles a module whose default export is a provider made with defineProvider into one standalone
executable (no Node.js needed where it runs). Needs bun, an optional peer dependency (npm i -D bun);
--backend node-sea needs esbuild and postject instead. --target defaults to this machine; cross
targets use the bun runtime of that platform from npm (fetched once with npm pack, then cached in
~/.cache/credkit/runtimes or $CREDKIT_RUNTIME_CACHE).`,
  flags: {
    outfile: { type: 'string', short: 'o', value: 'FILE', description: 'where to write the executable (required)' },
    target: { type: 'string', value: 'TARGET', description: `${TARGETS.join(', ')} (default: this machine)` },
    backend: { type: 'string', value: 'BACKEND', description: `${BACKENDS.join(' or ')} (default: bun)` },
  },
} as const satisfies CommandSpec<FlagSpecs>;

export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIO: CommandIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** `credkit build ...`; argv is what follows `build`. Returns the exit code; never throws. */
export async function runBuildCommand(argv: string[], io: CommandIO = defaultIO): Promise<number> {
  try {
    const options = parseBuildArgs(argv);
    if (!options) return (io.stdout(commandHelp(BUILD_COMMAND)), 0);
    const result = await build(options);
    const mib = (result.bytes / 2 ** 20).toFixed(1);
    io.stdout(
      `built ${result.outfile} (${result.target}, ${result.backend}, ${mib} MiB) in ${(result.durationMs / 1000).toFixed(1)}s\n`,
    );
    return 0;
  } catch (error) {
    const failure = error instanceof CredkitError ? error : new CredkitError('internal', (error as Error).message);
    io.stderr(`credkit build: ${oneLine(failure.message)}\n`);
    return failure.exitCode;
  }
}

/** undefined: --help. */
export function parseBuildArgs(argv: string[]): BuildOptions | undefined {
  const parsed = parseCommand(BUILD_COMMAND, argv);
  if (parsed.help) return undefined;
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw new CredkitError('usage', 'give exactly one module: credkit build <module> -o <file>');
  if (!values.outfile) throw new CredkitError('usage', 'missing -o <file>: where to write the executable');
  if (values.target !== undefined && !isTarget(values.target)) {
    throw new CredkitError('usage', `unknown --target ${values.target}: use one of ${TARGETS.join(', ')}`);
  }
  if (values.backend !== undefined && !isBackend(values.backend)) {
    throw new CredkitError('usage', `unknown --backend ${values.backend}: use ${BACKENDS.join(' or ')}`);
  }
  return {
    entry: positionals[0] as string,
    outfile: values.outfile,
    ...(values.target ? { target: values.target as Target } : {}),
    ...(values.backend ? { backend: values.backend as Backend } : {}),
  };
}

/**
 * Where the runtime a binary embeds comes from. The host target uses the bun (or node) installed
 * with credkit; cross targets use the same bun version for another platform, taken from its npm
 * package (`@oven/bun-<platform>`) with `npm pack`, so a build needs no download from GitHub and
 * works offline once the package is in npm's cache (or in the runtime cache directory).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { CredkitError } from '../../core/index.ts';
import { runTool } from './exec.ts';
import { hostTarget, type Target } from './targets.ts';

const require = createRequire(import.meta.url);

/** npm packages that ship bun for each target (the optionalDependencies of the `bun` package). */
export const BUN_PACKAGES: Record<Target, { name: string; file: string }> = {
  'linux-x64': { name: '@oven/bun-linux-x64', file: 'bin/bun' },
  'linux-arm64': { name: '@oven/bun-linux-aarch64', file: 'bin/bun' },
  'windows-x64': { name: '@oven/bun-windows-x64', file: 'bin/bun.exe' },
};

/**
 * Where unpacked cross runtimes live: `$CREDKIT_RUNTIME_CACHE`, else the user's cache directory
 * (`$XDG_CACHE_HOME/credkit/runtimes`, default `~/.cache/credkit/runtimes`; `%LOCALAPPDATA%` on
 * Windows). Per user rather than per project: a runtime is ~100 MB, keyed by its version, and the
 * same for every project; never inside node_modules/credkit, which npm replaces on every install.
 */
export function runtimeCacheDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.CREDKIT_RUNTIME_CACHE) return env.CREDKIT_RUNTIME_CACHE;
  const base =
    platform === 'win32'
      ? (env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'))
      : (env.XDG_CACHE_HOME ?? join(homedir(), '.cache'));
  return join(base, 'credkit', 'runtimes');
}

/** The one line `credkit build` prints when there is no bun to build with. */
export const BUN_MISSING = 'credkit build needs bun (an optional peer dependency): npm i -D bun';

/**
 * The bun that runs the build: the `bun` npm package next to credkit, else `bun` on PATH. The
 * package's bin/bun.exe is the real binary only after its postinstall script ran; with scripts
 * off (--ignore-scripts, pnpm's default, npm's allowScripts) it is a stub that prints an error, so
 * then the binary comes from the platform package the bun package depends on, as its postinstall
 * would have linked it.
 */
export function bunExecutable(): { path: string; version: string } {
  const fromPackage = bunFromPackage();
  if (fromPackage) return fromPackage;
  const onPath = findOnPath(process.platform === 'win32' ? 'bun.exe' : 'bun');
  if (!onPath) throw new CredkitError('usage', BUN_MISSING);
  return { path: onPath, version: execFileSync(onPath, ['--version'], { encoding: 'utf8' }).trim() };
}

/** Smaller than this, bin/bun.exe is the postinstall placeholder (a few hundred bytes of shell). */
const PLACEHOLDER_BYTES = 1 << 20;

function bunFromPackage(): { path: string; version: string } | undefined {
  let manifest: string;
  try {
    manifest = require.resolve('bun/package.json');
  } catch {
    return undefined; // not installed as a package
  }
  const { version } = require(manifest) as { version: string };
  // The package names it bun.exe on every platform.
  const linked = join(dirname(manifest), 'bin', 'bun.exe');
  if (existsSync(linked) && statSync(linked).size > PLACEHOLDER_BYTES) return { path: linked, version };
  const host = hostTarget();
  if (!host) return undefined;
  const { name, file } = BUN_PACKAGES[host];
  try {
    const platform = createRequire(manifest).resolve(`${name}/package.json`);
    const path = join(dirname(platform), file);
    if (existsSync(path)) return { path, version };
  } catch {
    // the platform package is missing too (--no-optional): fall through to PATH
  }
  return undefined;
}

/** `which`: the first executable `name` on PATH. */
function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Fails at once, in one line, when the node-sea back-end's build tools are not installed. */
export function requireNodeSeaTools(): void {
  const missing = ['esbuild', 'postject'].filter((name) => {
    try {
      require.resolve(`${name}/package.json`);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new CredkitError(
      'usage',
      `credkit build --backend node-sea needs ${missing.join(' and ')} (optional peer dependencies): npm i -D ${missing.join(' ')}`,
    );
  }
}

/**
 * The bun executable to embed for `target`, or undefined for the host (bun then embeds itself).
 * Cross runtimes are unpacked once into the cache directory.
 */
export async function bunRuntimeFor(target: Target, version: string): Promise<string | undefined> {
  if (target === hostTarget()) return undefined;
  if (!version)
    throw new Error('cannot tell which bun version to fetch for a cross build: install the bun npm package');
  const { name, file } = BUN_PACKAGES[target];
  const dir = join(runtimeCacheDir(), `${name.replace('/', '+')}@${version}`);
  const executable = join(dir, 'package', file);
  if (existsSync(executable)) return executable;
  await unpackNpmPackage(`${name}@${version}`, dir);
  if (!existsSync(executable)) throw new Error(`${name}@${version} has no ${file}`);
  return executable;
}

/** `npm pack` (from npm's cache when it can) and unpack into `dir`, atomically. */
export async function unpackNpmPackage(spec: string, dir: string): Promise<void> {
  const staging = `${dir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const { stdout } = await runTool(npm, [
      'pack',
      spec,
      '--prefer-offline',
      '--silent',
      '--pack-destination',
      staging,
    ]);
    const tarball = stdout.trim().split('\n').pop() ?? '';
    await runTool('tar', ['-xzf', join(staging, tarball), '-C', staging]);
    rmSync(join(staging, tarball), { force: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `cannot get runtime ${spec} with npm pack (${(error as Error).message}): run it once online, or set CREDKIT_RUNTIME_CACHE`,
    );
  }
}

/** The node binary a Node SEA embeds: the pinned `node` package, else the node running the build. */
export function nodeExecutable(): string {
  try {
    const path = join(dirname(require.resolve('node/package.json')), 'bin', 'node');
    if (existsSync(path)) return path;
  } catch {
    // fall through
  }
  return process.execPath;
}

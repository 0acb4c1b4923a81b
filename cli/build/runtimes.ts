/**
 * Where the runtime a binary embeds comes from. The host target uses the bun (or node) installed
 * with credkit; cross targets use the same bun version for another platform, taken from its npm
 * package (`@oven/bun-<platform>`) with `npm pack`, so a build needs no download from GitHub and
 * works offline once the package is in npm's cache (or in the runtime cache directory).
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool } from './exec.ts';
import { hostTarget, type Target } from './targets.ts';

const require = createRequire(import.meta.url);
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** npm packages that ship bun for each target (the optionalDependencies of the `bun` package). */
const BUN_PACKAGES: Record<Target, { name: string; file: string }> = {
  'linux-x64': { name: '@oven/bun-linux-x64', file: 'bin/bun' },
  'linux-arm64': { name: '@oven/bun-linux-aarch64', file: 'bin/bun' },
  'windows-x64': { name: '@oven/bun-windows-x64', file: 'bin/bun.exe' },
};

export function runtimeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CREDKIT_RUNTIME_CACHE ?? join(PACKAGE_ROOT, '.cache', 'runtimes');
}

/** The bun that runs the build: the `bun` npm package next to credkit, else `bun` on PATH. */
export function bunExecutable(): { path: string; version: string } {
  try {
    const manifest = require.resolve('bun/package.json');
    const { version } = require('bun/package.json') as { version: string };
    // The package names it bun.exe on every platform.
    const path = join(dirname(manifest), 'bin', 'bun.exe');
    if (existsSync(path)) return { path, version };
  } catch {
    // not installed as a package: fall through to PATH
  }
  return { path: 'bun', version: process.env.CREDKIT_BUN_VERSION ?? '' };
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
async function unpackNpmPackage(spec: string, dir: string): Promise<void> {
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

/**
 * The binaries `npm run build` makes, and when they are out of date. Shared by the build script, the
 * test setup (which rebuilds stale host binaries before a run) and the benchmark.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADAPTERS } from '../adapters/index.ts';
import { executableName, hostTarget, type Target } from '../cli/build/targets.ts';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BIN_DIR = join(ROOT, 'dist', 'bin');

export interface BinarySpec {
  /** File name in dist/bin (without .exe). */
  name: string;
  /** Module to compile, relative to the repository root. */
  entry: string;
  /** true: `entry`'s default export is handed to the kit's `main` (credkit build <module>); false: it calls main. */
  wrap: boolean;
  /**
   * For the adapters' binaries: the module whose `provider` export `entry` re-exports as its
   * default, written before a build. So each is built from `adapters/<name>/provider.ts` exactly as
   * a user's provider module is, and no entry file per cloud is kept by hand.
   */
  reexports?: string;
  /** The entry's text when it is generated (written to `entry` before a build). */
  generated?: () => string;
  /** Targets it is built for, when not all (credkit-node: links need a Linux node). */
  targets?: readonly Target[];
  /** Source folders and files whose changes make the binary stale. */
  sources: string[];
  /** Set for the binaries `npm run release` ships (scripts/release.ts); unset for examples. */
  release?: ReleaseSpec;
}

/** How a binary ships in the release archives (on the spec's `targets`, default all). */
export interface ReleaseSpec {
  /**
   * The registered adapters (adapters/index.ts) it serves: `credkit config <adapter>` writes the
   * archive's example kubelet config (one provider entry each), and the release test runs each
   * adapter's scenario through it.
   */
  adapters: string[];
  /** Other names the binary answers to, shipped as relative symlinks beside it (credkit-node's). */
  links?: string[];
}

/** Everything the per-cloud binaries and the example are built from, besides their own folders. */
export const SHARED_SOURCES = ['core', 'cli/build', 'cli/build.ts', 'package.json', 'package-lock.json'];

/** The binary of each registered adapter (adapters/index.ts). */
export const ADAPTER_BINARIES: BinarySpec[] = ADAPTERS.map((adapter) => ({
  name: adapter.binary,
  entry: `dist/entries/${adapter.binary}.ts`,
  wrap: true,
  reexports: `adapters/${adapter.name}/provider.ts`,
  sources: [`adapters/${adapter.name}`, ...SHARED_SOURCES],
  release: { adapters: [adapter.name] },
}));

/**
 * credkit-node: every adapter in one executable, chosen by the name it is invoked under (its binary
 * name or the upstream drop-in name; core/multicall.ts). Linux only: Windows nodes keep the
 * per-cloud binaries, which need no links.
 */
export const NODE_BINARY: BinarySpec = {
  name: 'credkit-node',
  entry: 'dist/entries/credkit-node.ts',
  wrap: false,
  generated: () => nodeEntrySource(join(ROOT, 'dist', 'entries')),
  targets: ['linux-x64', 'linux-arm64'],
  sources: ['adapters', ...SHARED_SOURCES],
  // Its archive carries a link per name it answers to (the per-cloud and the upstream names).
  release: {
    adapters: ADAPTERS.map((adapter) => adapter.name),
    links: nodeBinaryNames().map(({ name }) => name),
  },
};

/** The names credkit-node answers to, each with the adapter it runs. */
export function nodeBinaryNames(): { name: string; adapter: string }[] {
  return ADAPTERS.flatMap((adapter) => [
    { name: adapter.binary, adapter: adapter.name },
    ...(adapter.dropInFor ? [{ name: adapter.dropInFor, adapter: adapter.name }] : []),
  ]);
}

/** One literal import() per adapter, so the bundler includes each and evaluates it only on use. */
function nodeEntrySource(dir: string): string {
  const module = (adapter: string) => JSON.stringify(relative(dir, join(ROOT, 'adapters', adapter, 'provider.ts')));
  const core = JSON.stringify(relative(dir, join(ROOT, 'core', 'multicall.ts')));
  const rows = nodeBinaryNames().map(
    ({ name, adapter }) => `  ${JSON.stringify(name)}: () => import(${module(adapter)}),`,
  );
  return [`import { mainByName } from ${core};`, '', 'await mainByName({', ...rows, '});', ''].join('\n');
}

export const BINARIES: BinarySpec[] = [
  ...ADAPTER_BINARIES,
  NODE_BINARY,
  // The smallest provider built the way a user builds theirs (credkit build <module>).
  {
    name: 'static-provider',
    entry: 'examples/static.ts',
    wrap: true,
    sources: ['examples/static.ts', ...SHARED_SOURCES],
  },
];

/** The spec's entry, absolute, written first when it re-exports an adapter's provider. */
export function prepareEntry(spec: BinarySpec): string {
  const entry = join(ROOT, spec.entry);
  if (spec.generated) {
    mkdirSync(dirname(entry), { recursive: true });
    writeFileSync(entry, spec.generated());
  }
  if (spec.reexports) {
    mkdirSync(dirname(entry), { recursive: true });
    const from = relative(dirname(entry), join(ROOT, spec.reexports));
    writeFileSync(entry, `export { provider as default } from ${JSON.stringify(from)};\n`);
  }
  return entry;
}

/** What `npm run release` ships: every binary with a release spec. */
export const RELEASED = BINARIES.filter((spec) => spec.release !== undefined);

/** dist/bin/<name> for the host, dist/bin/<target>/<name>[.exe] for other targets. */
export function binaryPath(name: string, target: Target | undefined = hostTarget()): string {
  if (!target || target === hostTarget()) return join(BIN_DIR, name);
  return executableName(join(BIN_DIR, target, name), target);
}

/** Whether the spec's entry point exists yet (a module an adapter's binary re-exports counts). */
export function entryExists(spec: BinarySpec): boolean {
  return spec.generated !== undefined || existsSync(join(ROOT, spec.reexports ?? spec.entry));
}

/** Newest modification time among the spec's sources (folders walked, core/testing excluded). */
export function sourcesMtime(spec: Pick<BinarySpec, 'sources'>): number {
  return Math.max(0, ...spec.sources.map((source) => newestMtime(join(ROOT, source))));
}

export function isStale(spec: BinarySpec, target?: Target): boolean {
  return isOlderThanSources(binaryPath(spec.name, target), spec);
}

/** Missing, or built before the last change to the spec's sources. */
export function isOlderThanSources(file: string, spec: Pick<BinarySpec, 'sources'>): boolean {
  if (!existsSync(file)) return true;
  return statSync(file).mtimeMs < sourcesMtime(spec);
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    // The test kit and adapters' fakes are not in any binary.
    if (entry.name === 'testing' || entry.name === 'fake.ts' || entry.name === 'fake') continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

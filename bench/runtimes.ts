/**
 * Other bun runtimes the npm registry offers for linux-x64, for the size comparison: the same bun
 * version as the `bun` package, unpacked once into dist/bench/runtimes/ with `npm pack` (from npm's
 * cache when it can). `-baseline` (no AVX2) and `-musl` (musl libc, needs /lib/ld-musl-x86_64.so.1
 * on the node) are the only linux-x64 variants published.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bunArgs } from '../cli/build/bun.ts';
import { writeProviderEntry } from '../cli/build/entry.ts';
import { runTool } from '../cli/build/exec.ts';
import { bunExecutable, unpackNpmPackage } from '../cli/build/runtimes.ts';
import { BINARIES, prepareEntry, ROOT } from '../scripts/binaries.ts';

export const MUSL_LOADER = '/lib/ld-musl-x86_64.so.1';

export interface RuntimeVariant {
  name: 'baseline' | 'musl';
  package: string;
  /** The unpacked executable. */
  executable: string;
  /** Byte-identical to the runtime the product binaries embed. */
  sameAsDefault: boolean;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function unpack(spec: string): Promise<string> {
  const dir = join(ROOT, 'dist', 'bench', 'runtimes', spec.replace('/', '+'));
  const executable = join(dir, 'package', 'bin', 'bun');
  if (existsSync(executable)) return executable;
  await unpackNpmPackage(spec, dir);
  return executable;
}

export async function runtimeVariants(log: (line: string) => void): Promise<RuntimeVariant[]> {
  const bun = bunExecutable();
  const own = sha256(bun.path);
  const variants: RuntimeVariant[] = [];
  for (const name of ['baseline', 'musl'] as const) {
    const spec = `@oven/bun-linux-x64-${name}@${bun.version}`;
    try {
      const executable = await unpack(spec);
      variants.push({ name, package: spec, executable, sameAsDefault: sha256(executable) === own });
    } catch (error) {
      log(`skipped runtime ${spec}: ${(error as Error).message}`);
    }
  }
  return variants;
}

/**
 * The module `npm run build` compiles for product binary `name` (dist/bin/<name>), written as
 * `credkit build` writes it, for builds of the same binary with other settings.
 */
export function productEntry(name: string): { file: string; dispose(): void } {
  const spec = BINARIES.find((candidate) => candidate.name === name);
  if (!spec) throw new Error(`no product binary ${name} in scripts/binaries.ts`);
  const entry = prepareEntry(spec);
  return spec.wrap ? writeProviderEntry(entry, { topLevelAwait: true }) : { file: entry, dispose: () => {} };
}

/** Product binary `name` compiled with every product flag, embedding `runtime` instead of the build's own bun. */
export async function compileWithRuntime(name: string, outfile: string, runtime: string): Promise<void> {
  const entry = productEntry(name);
  try {
    await runTool(bunExecutable().path, bunArgs({ entry: entry.file, outfile, target: 'linux-x64' }, runtime));
  } finally {
    entry.dispose();
  }
}

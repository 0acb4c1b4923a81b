/**
 * The executables the benchmark compares, per back-end: the print-only floor, the network floor
 * (bun), the example provider and the cloud binaries. The bun cloud binaries are the product's own
 * dist/bin files; everything else is built into dist/bench/<backend>/ with the same build code and
 * flags, when missing or older than its sources.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../cli/build/targets.ts';
import { build } from '../cli/build.ts';
import {
  ADAPTER_BINARIES,
  BIN_DIR,
  type BinarySpec,
  isOlderThanSources,
  prepareEntry,
  ROOT,
  SHARED_SOURCES,
} from '../scripts/binaries.ts';
import { buildBinaries } from '../scripts/build-binaries.ts';

export interface BenchBinary {
  /** Row label: print-floor, network-floor, static-provider, credkit-ecr, ... */
  name: string;
  file: string;
}

function benchBuilds(backend: Backend): BinarySpec[] {
  const printFloor = {
    name: 'print-floor',
    entry: 'bench/floor.ts',
    wrap: false,
    sources: ['bench/floor.ts', ...SHARED_SOURCES],
  };
  if (backend === 'bun') {
    // The network floor needs bun's fetch proxy option (bench/network-floor.ts).
    const networkFloor = {
      name: 'network-floor',
      entry: 'bench/network-floor.ts',
      wrap: false,
      sources: ['bench/network-floor.ts', ...SHARED_SOURCES],
    };
    return [printFloor, networkFloor];
  }
  return [
    printFloor,
    {
      name: 'static-provider',
      entry: 'examples/static.ts',
      wrap: true,
      sources: ['examples/static.ts', ...SHARED_SOURCES],
    },
    // The adapters' binaries, from the same provider modules as the product's bun binaries.
    ...ADAPTER_BINARIES,
  ];
}

/** Builds what is stale and returns every binary of `backend` by name. */
export async function prepareBinaries(
  backend: Backend,
  log: (line: string) => void,
): Promise<Map<string, BenchBinary>> {
  const binaries = new Map<string, BenchBinary>();
  if (backend === 'bun') {
    const product = await buildBinaries({ targets: ['linux-x64'], ifStale: true, log });
    if (product.failed.length > 0)
      throw new Error(`npm run build failed: ${product.failed.map((f) => f.name).join(', ')}`);
    for (const name of ['static-provider', 'credkit-node', ...ADAPTER_BINARIES.map((spec) => spec.name)]) {
      if (existsSync(join(BIN_DIR, name))) binaries.set(name, { name, file: join(BIN_DIR, name) });
    }
  }
  for (const spec of benchBuilds(backend)) {
    const file = join(ROOT, 'dist', 'bench', backend, spec.name);
    if (isOlderThanSources(file, spec)) {
      const built = await build({ entry: prepareEntry(spec), outfile: file, backend, wrap: spec.wrap });
      log(`built ${file.slice(ROOT.length)} (${backend}, ${(built.durationMs / 1000).toFixed(1)}s)`);
    }
    binaries.set(spec.name, { name: spec.name, file });
  }
  return binaries;
}

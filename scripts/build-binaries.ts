/**
 * `npm run build`: the per-cloud binaries (and the example provider) for this machine in dist/bin/.
 * `npm run build:cross` adds linux-arm64 and windows-x64 in dist/bin/<target>/.
 * Flags: --cross, --if-stale (skip binaries newer than their sources; the test setup uses it).
 */
import { parseArgs } from 'node:util';
import { hostTarget, type Target } from '../cli/build/targets.ts';
import { build } from '../cli/build.ts';
import { BINARIES, type BinarySpec, binaryPath, entryExists, isStale, prepareEntry, ROOT } from './binaries.ts';

export interface BuildAllOptions {
  targets: Target[];
  ifStale?: boolean;
  log?: (line: string) => void;
}

export interface BuildAllResult {
  built: string[];
  skipped: string[];
  failed: { name: string; error: string }[];
}

export async function buildBinaries(options: BuildAllOptions): Promise<BuildAllResult> {
  const log = options.log ?? (() => {});
  const result: BuildAllResult = { built: [], skipped: [], failed: [] };
  for (const spec of BINARIES) {
    if (!entryExists(spec)) {
      // Only while an adapter has not landed: by the end every cloud's entry point exists.
      log(`skipped ${spec.name}: ${spec.entry} does not exist yet`);
      result.skipped.push(spec.name);
      continue;
    }
    const targets = options.targets.filter((target) => !spec.targets || spec.targets.includes(target));
    for (const target of targets) await buildOne(spec, target, options.ifStale ?? false, log, result);
  }
  return result;
}

async function buildOne(
  spec: BinarySpec,
  target: Target,
  ifStale: boolean,
  log: (line: string) => void,
  result: BuildAllResult,
) {
  const outfile = binaryPath(spec.name, target);
  if (ifStale && !isStale(spec, target)) return;
  try {
    const built = await build({ entry: prepareEntry(spec), outfile, target, wrap: spec.wrap });
    log(
      `built ${built.outfile.slice(ROOT.length)} (${target}, ${(built.bytes / 2 ** 20).toFixed(1)} MiB, ${(built.durationMs / 1000).toFixed(1)}s)`,
    );
    result.built.push(built.outfile);
  } catch (error) {
    log(`FAILED ${spec.name} (${target}): ${(error as Error).message}`);
    result.failed.push({ name: `${spec.name} (${target})`, error: (error as Error).message });
  }
}

async function cli(): Promise<number> {
  const { values } = parseArgs({ options: { cross: { type: 'boolean' }, 'if-stale': { type: 'boolean' } } });
  const host = hostTarget();
  const targets: Target[] = values.cross ? ['linux-x64', 'linux-arm64', 'windows-x64'] : host ? [host] : [];
  if (targets.length === 0) {
    process.stderr.write(
      `this machine (${process.platform}-${process.arch}) is no kubelet target: use npm run build:cross\n`,
    );
    return 2;
  }
  const result = await buildBinaries({
    targets,
    ifStale: values['if-stale'] ?? false,
    log: (line) => console.log(line),
  });
  return result.failed.length > 0 ? 1 : 0;
}

if (import.meta.main) process.exitCode = await cli();

/**
 * `npm run release`: dist/release/, offline, from this checkout. For every released binary
 * (scripts/binaries.ts RELEASED: the per-cloud binaries, and credkit-node with its links once it
 * exists) and every target it ships for:
 *   <binary>_<version>_<os>_<arch>.tar.gz (Windows: .zip): the binary, LICENSE, README.md, and the
 *     example kubelet config `credkit config` writes, checked by the kubelet's rules;
 *   <binary>_<version>_<os>_<arch>.cdx.json: its CycloneDX SBOM, from what the bundler put in;
 * then SHA256SUMS over all of them (`sha256sum -c SHA256SUMS`).
 * Builds with cli/build.ts like `npm run build`, into a scratch directory (dist/bin is left alone).
 * Flags: --out DIR (default dist/release), --only NAME (repeatable), --target T (repeatable).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { BUN_PACKAGES, bunExecutable, bunRuntimeFor } from '../cli/build/runtimes.ts';
import { executableName, isTarget, TARGETS, type Target } from '../cli/build/targets.ts';
import { build } from '../cli/build.ts';
import { decodeCredentialProviderConfig } from '../core/config.ts';
import { type BinarySpec, prepareEntry, RELEASED, ROOT } from './binaries.ts';
import { kubeletConfigFor } from './kubelet-config.ts';
import { archiveBase, packDirectory } from './release/archive.ts';
import { archiveReadme } from './release/readme.ts';
import { writeSbom } from './release/sbom.ts';

export interface ReleaseOptions {
  outDir: string;
  specs?: BinarySpec[];
  targets?: Target[];
  log?: (line: string) => void;
}

export interface ReleasedArchive {
  binary: string;
  target: Target;
  archive: string;
  sbom: string;
  bytes: number;
}

/**
 * The Windows kubelet has no /etc/kubernetes: upstream's Windows example config passes azure.json
 * as c:\k\azure.json (cloud-provider-azure examples/out-of-tree/credential-provider-config-win.yaml).
 */
const WINDOWS_CONFIG_ARGS: Record<string, string[]> = { acr: ['--arg', 'c:\\k\\azure.json'] };

export async function writeRelease(options: ReleaseOptions): Promise<ReleasedArchive[]> {
  const log = options.log ?? (() => {});
  const version = packageVersion();
  const epoch = sourceDateEpoch();
  const license = join(ROOT, 'LICENSE');
  if (!existsSync(license)) throw new Error('LICENSE is missing at the repository root: every archive carries it');
  rmSync(options.outDir, { recursive: true, force: true });
  const work = join(options.outDir, '.work');
  mkdirSync(work, { recursive: true });
  const jobs = (options.specs ?? RELEASED).flatMap((spec) =>
    targetsOf(spec, options.targets).map((target) => ({ spec, target })),
  );
  // Entries are generated files and cross runtimes unpack once into a shared cache: both are ready
  // before builds run side by side.
  for (const spec of new Set(jobs.map((job) => job.spec))) prepareEntry(spec);
  for (const target of new Set(jobs.map((job) => job.target))) await bunRuntimeFor(target, bunExecutable().version);
  let released: ReleasedArchive[];
  try {
    // Two at a time: a build or a gzip keeps one core busy, and this machine has two.
    released = await inPairs(jobs, async ({ spec, target }) => {
      const started = performance.now();
      const one = await releaseOne({ spec, target, version, epoch, license, outDir: options.outDir, work });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      log(`${basename(one.archive)} ${(one.bytes / 2 ** 20).toFixed(1)} MiB in ${seconds}s`);
      return one;
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  await writeChecksums(options.outDir, released);
  return released;
}

/**
 * The archives of a release already in `outDir` (made by `npm run release`), in the shape
 * writeRelease returns, so a check can run against the very files a release workflow publishes.
 */
export function readRelease(outDir: string, specs: BinarySpec[] = RELEASED): ReleasedArchive[] {
  const version = packageVersion();
  const files = new Set(readdirSync(outDir));
  return specs.flatMap((spec) =>
    targetsOf(spec, undefined).flatMap((target) => {
      const base = archiveBase(spec.name, version, target);
      const archive = [...files].find((file) => file.startsWith(`${base}.`) && !file.endsWith('.cdx.json'));
      if (!archive) return [];
      const path = join(outDir, archive);
      return [
        {
          binary: spec.name,
          target,
          archive: path,
          sbom: join(outDir, `${base}.cdx.json`),
          bytes: statSync(path).size,
        },
      ];
    }),
  );
}

/** Runs `task` over `items` two at a time; results in the items' order. */
async function inPairs<T, R>(items: T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

function targetsOf(spec: BinarySpec, only: Target[] | undefined): Target[] {
  const targets = [...(spec.targets ?? TARGETS)];
  return only ? targets.filter((target) => only.includes(target)) : targets;
}

interface OneRelease {
  spec: BinarySpec;
  target: Target;
  version: string;
  epoch: number;
  license: string;
  outDir: string;
  work: string;
}

async function releaseOne({
  spec,
  target,
  version,
  epoch,
  license,
  outDir,
  work,
}: OneRelease): Promise<ReleasedArchive> {
  const release = spec.release as NonNullable<BinarySpec['release']>;
  const base = archiveBase(spec.name, version, target);
  const dir = join(work, base);
  mkdirSync(dir, { recursive: true });
  const metafile = join(work, `${base}.meta.json`);
  const built = await build({
    entry: join(ROOT, spec.entry),
    outfile: join(dir, spec.name),
    target,
    wrap: spec.wrap,
    metafile,
  });
  const windows = target.startsWith('windows-');
  const links = windows ? [] : (release.links ?? []);
  for (const link of links) symlinkSync(spec.name, join(dir, link));
  copyFileSync(license, join(dir, 'LICENSE'));
  writeFileSync(join(dir, 'credential-provider-config.yaml'), await exampleConfig(release.adapters, windows));
  const executable = basename(executableName(spec.name, target));
  writeFileSync(
    join(dir, 'README.md'),
    archiveReadme({ binary: spec.name, adapters: release.adapters, executable, version, target, links }),
  );
  const packed = await packDirectory(dir, target, epoch);
  const archive = join(outDir, basename(packed));
  copyFileSync(packed, archive);
  const sbom = join(outDir, `${base}.cdx.json`);
  const runtime = { name: BUN_PACKAGES[target].name, version: bunExecutable().version };
  await writeSbom({
    metafile,
    root: ROOT,
    outfile: sbom,
    archive: basename(archive),
    binary: basename(built.outfile),
    target,
    runtime,
  });
  return { binary: spec.name, target, archive, sbom, bytes: statSync(archive).size };
}

/**
 * `credkit config <adapter>`'s file; for a binary serving several adapters (credkit-node), their
 * provider entries in one CredentialProviderConfig, each named after the link that runs it.
 */
async function exampleConfig(adapters: string[], windows: boolean): Promise<string> {
  const configs = await Promise.all(
    adapters.map((adapter) => kubeletConfigFor(adapter, windows ? (WINDOWS_CONFIG_ARGS[adapter] ?? []) : [])),
  );
  if (configs.length === 1) return configs[0] as string;
  const providers = configs.flatMap((text) => decodeCredentialProviderConfig(text).providers);
  const header = `# credkit config ${adapters.join(', ')}: one provider entry each, in one file\n`;
  return `${header}${stringify({ apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig', providers })}`;
}

/** sha256sum's own format: `<hex>  <name>`, one line per file, names relative to the directory. */
async function writeChecksums(outDir: string, released: ReleasedArchive[]): Promise<void> {
  const files = released.flatMap((entry) => [entry.archive, entry.sbom]).sort();
  const lines = await Promise.all(files.map(async (file) => `${await sha256(file)}  ${basename(file)}\n`));
  writeFileSync(join(outDir, 'SHA256SUMS'), lines.join(''));
}

function sha256(file: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** SOURCE_DATE_EPOCH, else the last commit's time: archives do not change with the clock. */
function sourceDateEpoch(): number {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' }).trim());
  } catch {
    return Math.floor(Date.now() / 1000);
  }
}

async function cli(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      only: { type: 'string', multiple: true },
      target: { type: 'string', multiple: true },
    },
  });
  const targets = values.target?.map((target) => {
    if (!isTarget(target)) throw new Error(`unknown --target ${target}: use ${TARGETS.join(', ')}`);
    return target;
  });
  const specs = values.only?.map((name) => {
    const spec = RELEASED.find((candidate) => candidate.name === name);
    if (!spec) throw new Error(`unknown --only ${name}: released are ${RELEASED.map((s) => s.name).join(', ')}`);
    return spec;
  });
  const outDir = resolve(values.out ?? join(ROOT, 'dist', 'release'));
  const started = performance.now();
  const released = await writeRelease({
    outDir,
    ...(specs ? { specs } : {}),
    ...(targets ? { targets } : {}),
    log: (line) => console.log(line),
  });
  const total = released.reduce((sum, entry) => sum + entry.bytes, 0);
  console.log(
    `${released.length} archives, ${(total / 2 ** 20).toFixed(0)} MiB, SHA256SUMS in ${outDir} (${((performance.now() - started) / 1000).toFixed(0)}s)`,
  );
  return 0;
}

if (import.meta.main) {
  process.exitCode = await cli().catch((error: Error) => {
    process.stderr.write(`release: ${error.message.split('\n')[0]}\n`);
    return 1;
  });
}

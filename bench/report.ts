/**
 * Turns the figures into the tables of bench/RESULTS.md, with the issue's goals checked beside
 * them, and replaces the generated part of that file (between the bench markers) in place.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../scripts/binaries.ts';
import { figures, type Series } from './measure.ts';
import { MUSL_LOADER } from './runtimes.ts';

export interface SideFigures {
  name: string;
  series: Series;
  /** Requests the fakes served per exec, CONNECTs (and absolute-form requests) the proxy saw per exec. */
  roundTrips: number;
  connects: number;
  /** The distinct sequences of statuses the fakes answered one exec with ("200 200"). */
  answers: string[];
}

export interface PairRow {
  backend: string;
  mode: string;
  binary: SideFigures;
  floor: SideFigures;
}

export interface StormRow {
  backend: string;
  binary: string;
  count: number;
  series: Series;
  wallMs: number;
  /** CPU time of all execs together, ms: on N cores the storm cannot end before cpuTotalMs / N. */
  cpuTotalMs: number;
  /** CPU the bench process (fake clouds, proxy, spawning) spent during the storm, ms. */
  harnessCpuMs: number;
  /** Answers carrying another service account's credential. */
  crossTalk: number;
  /** The 1-minute load average as the storm began: other work on the cores stretches its p99. */
  loadAtStart: number;
  /** The p99 of each repeated storm; the row's other figures are the median one's. */
  p99sMs: number[];
  /** Failed execs over every repeat. */
  failuresAll: number;
}

export interface BenchReport {
  runs: number;
  warmup: number;
  pairs: PairRow[];
  /** credkit-node under an adapter's name (`binary`) against that adapter's own binary (`floor`). */
  multicall: PairRow[];
  storms: StormRow[];
  sizes: Array<{ backend: string; binary: string; bytes: number; gzipBytes: number }>;
  /** The product binary on another runtime from the registry. */
  runtimes: Array<{
    name: string;
    package: string;
    binary: string;
    sameAsDefault: boolean;
    bytes: number;
    gzipBytes: number;
  }>;
  durationS?: number;
  /** The load averages (1, 5, 15 min) when the run began. */
  loadAtStart?: number[];
}

/** The issue's goals (issue 13). */
export const GOALS = { floorRatio: 1.25, rssMiB: 40, stormP99Ms: 1500 };

const ms = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(1));
const mib = (kib: number) => (Number.isNaN(kib) ? '—' : (kib / 1024).toFixed(1));
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const mark = (ok: boolean) => (ok ? 'yes' : '**no**');
const perExec = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(1));

function machine(loadAtStart: number[] | undefined): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let bun = '?';
  try {
    bun = execFileSync(join(ROOT, 'node_modules', '.bin', 'bun'), ['--version'], { encoding: 'utf8' }).trim();
  } catch {}
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}; node ${process.versions.node}, bun ${bun}; ${loadAtStart ? `load average at the start ${loadAtStart.map((value) => value.toFixed(2)).join(' ')}, ` : ''}load average at the end ${load}; ${new Date().toISOString()}`;
}

export function pairTable(report: BenchReport): string[] {
  return [
    '| backend | binary | request | median ms (floor) | × floor | p90 ms (floor) | exec CPU ms (floor) | peak RSS MiB (floor) | round trips / exec (floor) | CONNECTs / exec (floor) | fakes answered (floor) | failures | ≤ 1.25× floor | ≤ 40 MiB |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |',
    ...report.pairs.map(({ backend, mode, binary, floor }) => {
      const b = figures(binary.series);
      const f = figures(floor.series);
      const ratio = b.median / f.median;
      const pair = (x: string, y: string) => `${x} (${y})`;
      return [
        backend,
        binary.name,
        mode,
        pair(ms(b.median), ms(f.median)),
        Number.isNaN(ratio) ? '—' : ratio.toFixed(2),
        pair(ms(b.p90), ms(f.p90)),
        pair(ms(b.cpuMs), ms(f.cpuMs)),
        pair(mib(b.rssKiB), mib(f.rssKiB)),
        pair(perExec(binary.roundTrips), perExec(floor.roundTrips)),
        pair(perExec(binary.connects), perExec(floor.connects)),
        pair(binary.answers.join(', '), floor.answers.join(', ')),
        `${binary.series.failures.length} (${floor.series.failures.length})`,
        mark(ratio <= GOALS.floorRatio),
        mark(b.rssKiB / 1024 <= GOALS.rssMiB),
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .concat(' |');
    }),
  ];
}

export function stormTable(report: BenchReport): string[] {
  return [
    '| backend | execs of | execs × storms | failures | cross-talk | p50 ms | p99 ms (median storm) | p99 of each storm, ms | wall ms | CPU of all execs, s | CPU / exec ms | fakes and proxy CPU, s | CPU-bound least wall on this machine, s | load average at its start | p99 ≤ 1.5 s, 0 failures, 0 cross-talk |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...report.storms.map((row) => {
      const f = figures(row.series);
      // A floor row shows whether the goal is physically reachable at all on this machine.
      const clean = row.failuresAll === 0 && row.crossTalk === 0;
      const ok = mark(clean && f.p99 <= GOALS.stormP99Ms);
      const each = row.p99sMs.map((p99) => p99.toFixed(0)).join(', ');
      return `| ${row.backend} | ${row.binary} | ${row.count} × ${row.p99sMs.length} | ${row.failuresAll} | ${row.crossTalk} | ${ms(f.median)} | ${ms(f.p99)} | ${each} | ${ms(row.wallMs)} | ${(row.cpuTotalMs / 1000).toFixed(2)} | ${ms(row.cpuTotalMs / row.count)} | ${(row.harnessCpuMs / 1000).toFixed(2)} | ${((row.cpuTotalMs + row.harnessCpuMs) / 1000 / cpus().length).toFixed(2)} | ${row.loadAtStart.toFixed(1)} | ${ok} |`;
    }),
  ];
}

export function renderReport(report: BenchReport): string {
  return [
    `Machine: ${machine(report.loadAtStart)}.${report.durationS ? ` The run took ${report.durationS.toFixed(0)} s.` : ''}`,
    `Each row: ${report.runs} execs of the binary and ${report.runs} of its floor, interleaved (binary, floor, binary, floor, ...) after ${report.warmup} warm-up execs of each, each with its own service account where the request has one; every binary answer judged valid by the fake kubelet and checked to carry its own identity's credential.`,
    "Figures in parentheses are the floor's. Latency is the exec's wall time from fork to reap (bench/rusage.c); exec CPU (user + system, median) and peak RSS (largest) are the exec's own. The fake clouds and the proxy run in the bench process on the same cores. \"fakes answered\" lists the status sequences the fakes gave one exec.",
    '',
    '### Exec against its floor (network floor: the same round trips, same runtime, same proxy and CA, fixed answer)',
    '',
    ...pairTable(report),
    '',
    "### credkit-node under each adapter's name, against that adapter's own binary (interleaved)",
    '',
    '| invoked as | request | median ms (own binary) | × own binary | exec CPU ms (own) | peak RSS MiB (own) | round trips / exec (own) | failures |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...report.multicall.map(({ mode, binary, floor }) => {
      const b = figures(binary.series);
      const f = figures(floor.series);
      return `| ${binary.name} | ${mode} | ${ms(b.median)} (${ms(f.median)}) | ${(b.median / f.median).toFixed(2)} | ${ms(b.cpuMs)} (${ms(f.cpuMs)}) | ${mib(b.rssKiB)} (${mib(f.rssKiB)}) | ${perExec(binary.roundTrips)} (${perExec(floor.roundTrips)}) | ${binary.series.failures.length} (${floor.series.failures.length}) |`;
    }),
    '',
    '### Storm: concurrent execs, each with its own service account token',
    '',
    ...stormTable(report),
    ...stormFailures(report),
    '',
    '### File size',
    '',
    '| backend | binary | MB | gzip MB |',
    '| --- | --- | ---: | ---: |',
    ...report.sizes.map((row) => `| ${row.backend} | ${row.binary} | ${mb(row.bytes)} | ${mb(row.gzipBytes)} |`),
    '',
    '### Other bun runtimes for linux-x64 from the npm registry',
    '',
    '| runtime package | binary | MB | gzip MB | what it means |',
    '| --- | --- | ---: | ---: | --- |',
    ...report.runtimes.map(
      (row) =>
        `| ${row.package} | ${row.binary} | ${mb(row.bytes)} | ${mb(row.gzipBytes)} | ${row.sameAsDefault ? 'byte-identical to the runtime the product embeds: the same figures' : runtimeNote(row.name)} |`,
    ),
    ...pairFailures(report),
  ].join('\n');
}

function runtimeNote(name: string): string {
  if (name === 'musl')
    return `needs musl's loader and musl builds of libstdc++ and libgcc (${existsSync(MUSL_LOADER) ? 'the loader is installed here, the C++ runtime is not' : 'not on this Debian machine'}), so it cannot run here or on a glibc node; exec figures not measured`;
  return 'a different build of the runtime';
}

function stormFailures(report: BenchReport): string[] {
  return report.storms
    .filter((row) => row.series.failures.length > 0)
    .map((row) => `\n${row.backend} ${row.binary}: first failure: ${row.series.failures[0]}`);
}

function pairFailures(report: BenchReport): string[] {
  return [...report.pairs, ...report.multicall].flatMap(({ backend, mode, binary, floor }) =>
    [binary, floor]
      .filter((side) => side.series.failures.length > 0)
      .map((side) => `\n${backend} ${binary.name} ${mode}, ${side.name}: first failure: ${side.series.failures[0]}`),
  );
}

const BEGIN = '<!-- bench:begin (generated by npm run bench; edit outside these markers) -->';
const END = '<!-- bench:end -->';

export function writeResults(markdown: string, begin = BEGIN, end = END): void {
  const file = join(ROOT, 'bench', 'RESULTS.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmark results\n\n${begin}\n${end}\n`;
  const start = current.indexOf(begin);
  const stop = current.indexOf(end);
  const next =
    start >= 0 && stop > start
      ? `${current.slice(0, start + begin.length)}\n${markdown}\n${current.slice(stop)}`
      : `${current.trimEnd()}\n\n${begin}\n${markdown}\n${end}\n`;
  writeFileSync(file, next);
}

/**
 * Turns the figures into the tables of bench/RESULTS.md, with the targets checked beside
 * them, and replaces the generated part of that file (between the bench markers) in place.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../scripts/binaries.ts';
import type { Series, StormSeries, Usage } from './measure.ts';

export interface ExecRow {
  backend: string;
  binary: string;
  mode: string;
  series: Series;
  /** Peak RSS and CPU time of the exec itself (GNU time), apart from the fakes'. */
  usage: Usage;
  /** Requests the fakes served per exec, and CONNECTs the proxy saw per exec. */
  roundTrips: number;
  connects: number;
}

export interface BenchReport {
  runs: number;
  execs: ExecRow[];
  lazy: ExecRow[];
  storms: Array<{ backend: string; binary: string; count: number; series: StormSeries }>;
  sizes: Array<{ backend: string; binary: string; bytes: number; gzipBytes: number }>;
}

/** The targets (P1, P2, P5, P6). */
export const TARGETS = {
  medianMs: 35,
  floorRatio: 1.6,
  rssMiB: 40,
  stormFailures: 0,
  stormP99Ms: 1500,
  sizeMB: 100,
  gzipMB: 40,
};

const ms = (value: number) => value.toFixed(1);
const mib = (kib: number) => (kib / 1024).toFixed(1);
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const mark = (ok: boolean) => (ok ? 'yes' : '**no**');

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const bun = (() => {
    try {
      return execFileSync(join(ROOT, 'node_modules', '.bin', 'bun'), ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  })();
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}; node ${process.versions.node}, bun ${bun}; ${new Date().toISOString()}`;
}

export function renderReport(report: BenchReport): string {
  const floors = new Map(
    report.execs.filter((row) => row.binary === 'floor').map((row) => [row.backend, row.series.median]),
  );
  const lines = [
    `Machine: ${machine()}.`,
    `Each row: ${report.runs} execs after 2 warm-up execs, as the kubelet runs them (spawn → stdout and stderr closed), every answer judged valid and checked to carry its own identity's credential.`,
    'Latency is wall time and includes the fake clouds, CONNECT proxy and spawner, which run in the bench process on the same 2 cores; "exec CPU" (user + system of the binary alone, GNU time, median of 5) and peak RSS (largest of 5) are the binary\'s own.',
    '',
    '### P1 exec latency, P2 peak RSS, P3 round trips',
    '',
    '| backend | binary | request | median ms | p90 ms | × floor | P1 ≤ 35 ms and ≤ 1.6× | exec CPU ms | peak RSS MiB | P2 ≤ 40 MiB | fake requests / exec | CONNECTs / exec | failures |',
    '| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: |',
    ...report.execs.map((row) => {
      const floor = floors.get(row.backend) ?? Number.NaN;
      const ratio = row.series.median / floor;
      const p1 = row.series.median <= TARGETS.medianMs && ratio <= TARGETS.floorRatio;
      return `| ${row.backend} | ${row.binary} | ${row.mode} | ${ms(row.series.median)} | ${ms(row.series.p90)} | ${ratio.toFixed(2)} | ${row.binary === 'floor' ? '—' : mark(p1)} | ${ms(row.usage.cpuMs)} | ${mib(row.usage.rssKiB)} | ${mark(row.usage.rssKiB / 1024 <= TARGETS.rssMiB)} | ${row.roundTrips.toFixed(1)} | ${row.connects.toFixed(1)} | ${row.series.failures.length} |`;
    }),
    '',
    '### P5 storm: concurrent execs, each with its own service account token',
    '',
    '| backend | binary | execs | failures | p50 ms | p99 ms | wall ms | CPU of all execs, s | CPU / exec ms | target met (0 failures, p99 ≤ 1.5 s) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...report.storms.map(
      ({ backend, binary, count, series }) =>
        `| ${backend} | ${binary} | ${count} | ${series.failures.length} | ${ms(series.median)} | ${ms(series.p99)} | ${ms(series.wallMs)} | ${(series.cpuMs / 1000).toFixed(1)} | ${ms(series.cpuMs / count)} | ${mark(series.failures.length === 0 && series.p99 <= TARGETS.stormP99Ms)} |`,
    ),
    ...stormFailures(report),
    '',
    '### P6 file size',
    '',
    '| backend | binary | MB | gzip MB | target met (≤ 100 MB, ≤ 40 MB gzip) |',
    '| --- | --- | ---: | ---: | --- |',
    ...report.sizes.map(
      (row) =>
        `| ${row.backend} | ${row.binary} | ${mb(row.bytes)} | ${mb(row.gzipBytes)} | ${mark(row.bytes / 1e6 <= TARGETS.sizeMB && row.gzipBytes / 1e6 <= TARGETS.gzipMB)} |`,
    ),
    '',
    '### Lazy loading inside one compiled file (bun)',
    '',
    '| binary | request | median ms | p90 ms | exec CPU ms | peak RSS MiB |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...report.lazy.map(
      (row) =>
        `| ${row.binary} | ${row.mode} | ${ms(row.series.median)} | ${ms(row.series.p90)} | ${ms(row.usage.cpuMs)} | ${mib(row.usage.rssKiB)} |`,
    ),
  ];
  return lines.join('\n');
}

function stormFailures(report: BenchReport): string[] {
  const failed = report.storms.filter((storm) => storm.series.failures.length > 0);
  return failed.map((storm) => `\n${storm.backend} ${storm.binary}: first failure: ${storm.series.failures[0]}`);
}

const BEGIN = '<!-- bench:begin (generated by npm run bench; edit outside these markers) -->';
const END = '<!-- bench:end -->';

export function writeResults(markdown: string): void {
  const file = join(ROOT, 'bench', 'RESULTS.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmark results\n\n${BEGIN}\n${END}\n`;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start + BEGIN.length)}\n${markdown}\n${current.slice(end)}`
      : `${current.trimEnd()}\n\n${BEGIN}\n${markdown}\n${END}\n`;
  writeFileSync(file, next);
}

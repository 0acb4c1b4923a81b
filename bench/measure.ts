/**
 * The measuring instruments. Every exec runs under bench/rusage.c, which forks it, waits for it and
 * reports its wall time (fork to reap), user and system CPU (the kernel's per-task accounting, in
 * µs) and peak RSS (ru_maxrss): the exec's own, not the fakes', proxy's or spawner's, which share
 * the cores in this process. The kubelet's judgement of each answer comes from runLikeKubelet.
 * Percentiles are nearest-rank, so p90 of 20 runs is the 18th fastest and p99 of 64 the slowest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type KubeletResult, type KubeletRun, runLikeKubelet } from '../core/testing/index.ts';
import { ROOT } from '../scripts/binaries.ts';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export interface Usage {
  /** Fork to reap, ms. */
  wallMs: number;
  /** User plus system CPU of the exec, ms: what a storm of execs competes for. */
  cpuMs: number;
  /** Peak resident set size, KiB. */
  rssKiB: number;
}

export interface Measured {
  result: KubeletResult;
  usage: Usage;
}

const RUSAGE_SOURCE = join(ROOT, 'bench', 'rusage.c');
const RUSAGE = join(ROOT, 'dist', 'bench', 'rusage');
const REPORTS = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** Compiles bench/rusage.c when missing or older than its source (the machine has cc; CI does too). */
export function prepareRusage(): string {
  if (!existsSync(RUSAGE) || statSync(RUSAGE).mtimeMs < statSync(RUSAGE_SOURCE).mtimeMs) {
    mkdirSync(join(ROOT, 'dist', 'bench'), { recursive: true });
    execFileSync('cc', ['-O2', '-o', RUSAGE, RUSAGE_SOURCE], { stdio: 'inherit' });
  }
  return RUSAGE;
}

let reportCount = 0;

/** One exec as the kubelet runs it, under the rusage wrapper. */
export async function measured(run: KubeletRun): Promise<Measured> {
  const report = join(REPORTS, `credkit-bench-${process.pid}-${reportCount++}`);
  const result = await runLikeKubelet({ ...run, command: [RUSAGE, report, ...run.command] });
  let usage: Usage = { wallMs: Number.NaN, cpuMs: Number.NaN, rssKiB: Number.NaN };
  try {
    const [wall = Number.NaN, user = Number.NaN, system = Number.NaN, rss = Number.NaN] = readFileSync(report, 'utf8')
      .trim()
      .split(' ')
      .map(Number);
    usage = { wallMs: wall / 1000, cpuMs: (user + system) / 1000, rssKiB: rss };
  } catch {
    // The wrapper itself failed to start; the result's exit code and stderr say why.
  }
  rmSync(report, { force: true });
  return { result, usage };
}

export interface Series {
  wallMs: number[];
  cpuMs: number[];
  rssKiB: number[];
  failures: string[];
}

export const emptySeries = (): Series => ({ wallMs: [], cpuMs: [], rssKiB: [], failures: [] });

export function record(series: Series, { usage }: Measured, failure: string | undefined): void {
  if (failure) {
    series.failures.push(failure);
    return;
  }
  series.wallMs.push(usage.wallMs);
  series.cpuMs.push(usage.cpuMs);
  series.rssKiB.push(usage.rssKiB);
}

/** The figures of a series: latency median and p90, CPU median, the largest peak RSS. */
export function figures(series: Series) {
  return {
    median: percentile(series.wallMs, 50),
    p90: percentile(series.wallMs, 90),
    p99: percentile(series.wallMs, 99),
    cpuMs: percentile(series.cpuMs, 50),
    rssKiB: series.rssKiB.length ? Math.max(...series.rssKiB) : Number.NaN,
  };
}

export function fileSizes(file: string): { bytes: number; gzipBytes: number } {
  return { bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file), { level: 6 }).length };
}

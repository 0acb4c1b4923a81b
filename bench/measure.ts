/**
 * The measuring instruments: exec latency as the kubelet sees it (spawn to stdout/stderr closed,
 * runLikeKubelet's durationMs), peak RSS from the kernel's accounting (GNU time's %M, the child's
 * ru_maxrss), and file sizes. Percentiles are nearest-rank, so p90 of 20 runs is the 18th fastest.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type KubeletResult, type KubeletRun, runLikeKubelet } from '../core/testing/index.ts';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export interface Check {
  (result: KubeletResult, index: number): string | undefined;
}

export interface Series {
  samples: number[];
  median: number;
  p90: number;
  p99: number;
  failures: string[];
}

export function summarise(samples: number[], failures: string[]): Series {
  return { samples, median: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99), failures };
}

/** `runs` execs one after another (after `warmup` unrecorded ones, which fill the page cache). */
export async function sequential(
  runs: number,
  warmup: number,
  exec: (index: number) => Promise<KubeletRun>,
  check: Check,
): Promise<Series> {
  const samples: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const result = await runLikeKubelet(await exec(i));
    const failure = check(result, i);
    if (failure) failures.push(failure);
    if (i >= warmup) samples.push(result.durationMs);
  }
  return summarise(samples, failures);
}

/** All execs at once, as when a node boots and the kubelet pulls every pod's images together. */
export async function concurrent(count: number, exec: (index: number) => Promise<KubeletRun>, check: Check): Promise<Series & { wallMs: number }> {
  const runs = await Promise.all(Array.from({ length: count }, (_, i) => exec(i)));
  const started = performance.now();
  const results = await Promise.all(runs.map((run) => runLikeKubelet(run)));
  const wallMs = performance.now() - started;
  const failures = results.map((result, i) => check(result, i)).filter((failure): failure is string => failure !== undefined);
  return { ...summarise(results.map((result) => result.durationMs), failures), wallMs };
}

/**
 * Peak RSS (KiB) of one exec, measured by GNU time around the binary; the largest of `runs`
 * successful ones (NaN when none succeeded: the row's failures say why).
 */
export async function peakRssKiB(run: KubeletRun, runs = 3): Promise<number> {
  let peak = Number.NaN;
  for (let i = 0; i < runs; i++) {
    const out = join(tmpdir(), `credkit-rss-${process.pid}-${i}`);
    const result = await runLikeKubelet({ ...run, command: ['/usr/bin/time', '-f', '%M', '-o', out, ...run.command] });
    const kib = Number(readFileSync(out, 'utf8').trim().split('\n').pop());
    rmSync(out, { force: true });
    if (result.exitCode === 0) peak = Number.isNaN(peak) ? kib : Math.max(peak, kib);
  }
  return peak;
}

export function fileSizes(file: string): { bytes: number; gzipBytes: number } {
  return { bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file), { level: 6 }).length };
}

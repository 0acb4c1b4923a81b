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

export type Check = (result: KubeletResult, index: number) => string | undefined;

export interface Series {
  samples: number[];
  median: number;
  p90: number;
  p99: number;
  failures: string[];
}

export function summarise(samples: number[], failures: string[]): Series {
  return {
    samples,
    median: percentile(samples, 50),
    p90: percentile(samples, 90),
    p99: percentile(samples, 99),
    failures,
  };
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

export interface StormSeries extends Series {
  wallMs: number;
  /** CPU time of all execs together, ms: on N cores the storm cannot end before cpuMs / N. */
  cpuMs: number;
}

/** All execs at once, as when a node boots and the kubelet pulls every pod's images together. */
export async function concurrent(
  count: number,
  exec: (index: number) => Promise<KubeletRun>,
  check: Check,
): Promise<StormSeries> {
  const runs = await Promise.all(Array.from({ length: count }, (_, i) => exec(i)));
  const started = performance.now();
  const timed = await Promise.all(runs.map((run) => withUsage(run)));
  const wallMs = performance.now() - started;
  const failures = timed
    .map(({ result }, i) => check(result, i))
    .filter((failure): failure is string => failure !== undefined);
  const cpuMs = timed.reduce((sum, { usage }) => sum + usage.cpuMs, 0);
  return {
    ...summarise(
      timed.map(({ result }) => result.durationMs),
      failures,
    ),
    wallMs,
    cpuMs,
  };
}

export interface Usage {
  /** Peak resident set size (ru_maxrss), KiB. */
  rssKiB: number;
  /** User plus system CPU time of the exec, ms: what a storm of execs competes for. */
  cpuMs: number;
}

/** One exec with GNU time around the binary: its own peak RSS and CPU, not the fakes'. */
export async function withUsage(run: KubeletRun): Promise<{ result: KubeletResult; usage: Usage }> {
  const out = join(tmpdir(), `credkit-usage-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const result = await runLikeKubelet({
    ...run,
    command: ['/usr/bin/time', '-f', '%M %U %S', '-o', out, ...run.command],
  });
  const [rss = Number.NaN, user = Number.NaN, system = Number.NaN] = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .pop()!
    .split(' ')
    .map(Number);
  rmSync(out, { force: true });
  return { result, usage: { rssKiB: rss, cpuMs: (user + system) * 1000 } };
}

/**
 * Peak RSS (largest) and CPU time (median) over `runs` successful execs; NaN when none succeeded
 * (the row's failures say why).
 */
export async function resourceUsage(run: KubeletRun, runs = 5): Promise<Usage> {
  const usages: Usage[] = [];
  for (let i = 0; i < runs; i++) {
    const { result, usage } = await withUsage(run);
    if (result.exitCode === 0) usages.push(usage);
  }
  return {
    rssKiB: usages.length ? Math.max(...usages.map((usage) => usage.rssKiB)) : Number.NaN,
    cpuMs: percentile(
      usages.map((usage) => usage.cpuMs),
      50,
    ),
  };
}

export function fileSizes(file: string): { bytes: number; gzipBytes: number } {
  return { bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file), { level: 6 }).length };
}

/**
 * The measuring instruments. Every exec runs under bench/rusage.c, which forks it, waits for it and
 * reports its wall time (fork to reap), user and system CPU (the kernel's per-task accounting, in
 * µs) and peak RSS (ru_maxrss): the exec's own, not the fakes', proxy's or spawner's, which share
 * the cores in this process. The kubelet's judgement of each answer comes from runLikeKubelet.
 * Percentiles are nearest-rank, so p90 of 20 runs is the 18th fastest and p99 of 64 the slowest.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { judgeExec, prepareExec } from '../core/kubelet.ts';
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

const RUSAGE = join(ROOT, 'dist', 'bench', 'rusage');
const STORM = join(ROOT, 'dist', 'bench', 'storm');
const REPORTS = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/**
 * Compiles bench/rusage.c and bench/storm.c when missing or older than their sources (the machine
 * has cc; CI does too). Returns the rusage wrapper's path.
 */
export function prepareRusage(): string {
  for (const tool of [RUSAGE, STORM]) {
    const source = join(ROOT, 'bench', `${basename(tool)}.c`);
    if (!existsSync(tool) || statSync(tool).mtimeMs < statSync(source).mtimeMs) {
      mkdirSync(dirname(tool), { recursive: true });
      execFileSync('cc', ['-O2', '-o', tool, source], { stdio: 'inherit' });
    }
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

/**
 * All of `runs` at once, started by bench/storm.c (a spawner as cheap as the kubelet's, see there)
 * (the request on a pipe, stdout and stderr to files), then each judged as runLikeKubelet judges one.
 */
export async function measuredStorm(runs: KubeletRun[]): Promise<Measured[]> {
  const dir = mkdtempSync(join(REPORTS, `credkit-storm-${process.pid}-`));
  try {
    const prepared = runs.map((run, i) => {
      const exec = prepareExec(run);
      if (!exec.executed) throw new Error(`storm exec ${i}: matchImages excludes ${run.image}`);
      const at = join(dir, String(i));
      mkdirSync(at);
      writeFileSync(join(at, 'argv'), [exec.file, ...exec.args].map((arg) => `${arg}\0`).join(''));
      const env = Object.entries(exec.env).filter((entry): entry is [string, string] => entry[1] !== undefined);
      writeFileSync(join(at, 'env'), env.map(([key, value]) => `${key}=${value}\0`).join(''));
      writeFileSync(join(at, 'stdin'), exec.stdin);
      return { at, request: exec.request };
    });
    await new Promise<void>((resolve, reject) =>
      execFile(STORM, [dir, String(runs.length)], (error) => (error ? reject(error) : resolve())),
    );
    return runs.map((run, i) => stormResult(run, prepared[i] as { at: string; request: string }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function stormResult(run: KubeletRun, { at, request }: { at: string; request: string }): Measured {
  const [wall = Number.NaN, user = Number.NaN, system = Number.NaN, rss = Number.NaN, status = Number.NaN] =
    readFileSync(join(at, 'report'), 'utf8').trim().split(' ').map(Number);
  const signal = status > 128 ? signalNamed(status - 128) : null;
  const result = judgeExec(run, request, {
    exitCode: signal ? null : status,
    signal,
    timedOut: signal === 'SIGALRM',
    stdout: readFileSync(join(at, 'stdout'), 'utf8'),
    stderr: readFileSync(join(at, 'stderr'), 'utf8'),
    durationMs: wall / 1000,
  });
  return { result, usage: { wallMs: wall / 1000, cpuMs: (user + system) / 1000, rssKiB: rss } };
}

/** The name of signal `number` (storm.c reports 128 + the signal, as a shell does). */
function signalNamed(number: number): NodeJS.Signals {
  const named = Object.entries(constants.signals).find(([, value]) => value === number);
  return (named?.[0] ?? 'SIGTERM') as NodeJS.Signals;
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

/**
 * `npm run bench`: start-up, memory, size, round trips and a 64-exec storm for the compiled
 * binaries of each back-end, side by side, against the adapters' fake clouds behind the CONNECT
 * proxy with the test CA. Prints the figures and rewrites the generated part of bench/RESULTS.md.
 *
 *   npm run bench -- [--runs 20] [--storm 64] [--backends bun,node-sea] [--no-write]
 */
import { parseArgs } from 'node:util';
import type { Backend } from '../cli/build/targets.ts';
import { type FakeWorld, type KubeletResult, type KubeletRun, startFakeWorld } from '../core/testing/index.ts';
import { type BenchBinary, prepareBinaries } from './builds.ts';
import { concurrent, fileSizes, resourceUsage, sequential } from './measure.ts';
import { type BenchReport, type ExecRow, renderReport, writeResults } from './report.ts';
import {
  type Cloud,
  type CloudScenario,
  carriesIdentity,
  kubeletEnv,
  SCENARIOS,
  type ScenarioRun,
} from './scenarios.ts';

const STATIC_ENV = { STATIC_USERNAME: 'robot', STATIC_PASSWORD: 'bench-static-password' };
const OTHER_IMAGE = 'docker.io/library/nginx:1.27';
const CLOUDS: Cloud[] = ['ecr', 'acr', 'gar'];

interface Options {
  runs: number;
  storm: number;
  backends: Backend[];
  write: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      storm: { type: 'string', default: '64' },
      backends: { type: 'string', default: 'bun,node-sea' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  return {
    runs: Number(values.runs),
    storm: Number(values.storm),
    backends: values.backends.split(',') as Backend[],
    write: !values['no-write'],
  };
}

/** A kubelet judgement plus "whose credential is this", as one failure string or undefined. */
function checkAnswer(scenario: CloudScenario | undefined, expected: (index: number) => string | undefined) {
  return (result: KubeletResult, index: number): string | undefined => {
    if (result.exitCode !== 0 || !result.verdict.valid)
      return `exit ${result.exitCode}: ${result.stderr.trim() || result.verdict.reasons.join('; ')}`;
    if (result.stderr !== '') return `stderr not empty: ${result.stderr.trim()}`;
    const identity = expected(index);
    if (!scenario || identity === undefined) return undefined;
    const password = Object.values(result.response?.auth ?? {})[0]?.password;
    return carriesIdentity(scenario, password, identity)
      ? undefined
      : `answer ${index} does not carry ${identity}'s credential`;
  };
}

async function measureBackend(
  backend: Backend,
  binaries: Map<string, BenchBinary>,
  scenarios: Record<Cloud, CloudScenario>,
  opts: Options,
): Promise<ExecRow[]> {
  const rows: ExecRow[] = [];
  const warmup = 2;
  const env = kubeletEnv(scenarios.ecr.world);
  const simple = async (binary: BenchBinary, mode: string, run: Omit<KubeletRun, 'command'>) => {
    const command = [binary.file];
    const series = await sequential(
      opts.runs,
      warmup,
      async () => ({ command, ...run }),
      checkAnswer(undefined, () => undefined),
    );
    rows.push({
      backend,
      binary: binary.name,
      mode,
      series,
      usage: await resourceUsage({ command, ...run }),
      roundTrips: 0,
      connects: 0,
    });
  };
  const floor = binaries.get('floor');
  if (floor) await simple(floor, 'fixed response', { image: 'registry.example.com/app', inheritedEnv: env });
  const example = binaries.get('static-provider');
  if (example)
    await simple(example, 'example provider', {
      image: 'registry.example.com/app',
      inheritedEnv: env,
      env: STATIC_ENV,
    });

  for (const cloud of CLOUDS) {
    const binary = binaries.get(`credkit-${cloud}`);
    if (!binary) continue;
    const scenario = scenarios[cloud];
    const modes: Array<[string, (index: number) => Promise<ScenarioRun>]> = [
      ['node identity', async () => scenario.node],
      // A distinct service account per exec: nothing the runtime caches between execs helps.
      ['service account', (index) => scenario.serviceAccount(index)],
    ];
    for (const [mode, pick] of modes) {
      const picked = new Map<number, ScenarioRun>();
      const exec = async (index: number) => {
        const chosen = await pick(index);
        picked.set(index, chosen);
        return { command: [binary.file, ...chosen.args], ...chosen.run };
      };
      const [calls, connects] = [scenario.calls(), scenario.world.proxy.connects.length];
      const series = await sequential(
        opts.runs,
        warmup,
        exec,
        checkAnswer(scenario, (index) => picked.get(index)?.expected),
      );
      const execs = opts.runs + warmup;
      // Counted before the resource runs below, which make calls of their own.
      const roundTrips = (scenario.calls() - calls) / execs;
      const tunnels = (scenario.world.proxy.connects.length - connects) / execs;
      const usage = await resourceUsage(await exec(0));
      rows.push({ backend, binary: binary.name, mode, series, usage, roundTrips, connects: tunnels });
    }
  }
  return rows;
}

/** Does lazy loading survive bundling? The same binary with and without the adapter's import() calls. */
async function measureLazy(
  binaries: Map<string, BenchBinary>,
  scenario: CloudScenario,
  runs: number,
): Promise<ExecRow[]> {
  const rows: ExecRow[] = [];
  const env = kubeletEnv(scenario.world);
  for (const name of ['credkit-ecr', 'credkit-ecr-eager']) {
    const binary = binaries.get(name);
    if (!binary) continue;
    const run = { command: [binary.file], image: OTHER_IMAGE, inheritedEnv: env };
    const series = await sequential(
      runs,
      2,
      async () => run,
      checkAnswer(undefined, () => undefined),
    );
    rows.push({
      backend: 'bun',
      binary: name,
      mode: 'image not ours',
      series,
      usage: await resourceUsage(run),
      roundTrips: 0,
      connects: 0,
    });
    const saRun = async (i: number) => {
      const chosen = await scenario.serviceAccount(i);
      return { command: [binary.file, ...chosen.args], ...chosen.run };
    };
    const sa = await sequential(
      runs,
      2,
      saRun,
      checkAnswer(undefined, () => undefined),
    );
    rows.push({
      backend: 'bun',
      binary: name,
      mode: 'service account',
      series: sa,
      usage: await resourceUsage(await saRun(0)),
      roundTrips: 0,
      connects: 0,
    });
  }
  return rows;
}

async function storm(
  backend: Backend,
  binaries: Map<string, BenchBinary>,
  scenarios: Record<Cloud, CloudScenario>,
  count: number,
) {
  const results: BenchReport['storms'] = [];
  for (const cloud of CLOUDS) {
    const binary = binaries.get(`credkit-${cloud}`);
    if (!binary) continue;
    const scenario = scenarios[cloud];
    const runs = await Promise.all(Array.from({ length: count }, (_, i) => scenario.serviceAccount(i)));
    const series = await concurrent(
      count,
      async (i) => ({ command: [binary.file, ...(runs[i] as ScenarioRun).args], ...(runs[i] as ScenarioRun).run }),
      checkAnswer(scenario, (i) => runs[i]?.expected),
    );
    results.push({ backend, binary: binary.name, count, series });
  }
  return results;
}

async function main(): Promise<void> {
  const opts = options();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const report: BenchReport = { runs: opts.runs, execs: [], lazy: [], storms: [], sizes: [] };
  const worlds: FakeWorld[] = [];
  try {
    const identities = Math.max(opts.storm, opts.runs + 2);
    const scenarios = {} as Record<Cloud, CloudScenario>;
    for (const cloud of CLOUDS) {
      const world = await startFakeWorld();
      worlds.push(world);
      scenarios[cloud] = await SCENARIOS[cloud](world, identities);
    }
    for (const backend of opts.backends) {
      log(`[${backend}] building what is stale`);
      const binaries = await prepareBinaries(backend, log);
      log(`[${backend}] sizes`);
      for (const binary of binaries.values())
        report.sizes.push({ backend, binary: binary.name, ...fileSizes(binary.file) });
      log(`[${backend}] sequential execs (${opts.runs} per row)`);
      report.execs.push(...(await measureBackend(backend, binaries, scenarios, opts)));
      if (backend === 'bun') {
        log('[bun] lazy loading');
        report.lazy.push(...(await measureLazy(binaries, scenarios.ecr, opts.runs)));
      }
      log(`[${backend}] storm of ${opts.storm}`);
      report.storms.push(...(await storm(backend, binaries, scenarios, opts.storm)));
    }
  } finally {
    await Promise.all(worlds.map((world) => world.close()));
  }
  const markdown = renderReport(report);
  process.stdout.write(`${markdown}\n`);
  if (opts.write) writeResults(markdown);
}

await main();

/**
 * `npm run bench`: every compiled binary against its floor, interleaved (binary, floor, binary,
 * floor, ...), for each request kind; a storm of concurrent execs per binary and per floor; file
 * sizes. The fakes are the adapters' own (adapters/<cloud>/fake/) behind the CONNECT proxy with the
 * test CA. Prints the figures and rewrites the generated part of bench/RESULTS.md.
 *
 *   npm run bench -- [--runs 20] [--storm 64] [--storm-repeats 3] [--clouds ecr,acr,gar] [--backends bun[,node-sea]] [--no-write]
 *
 * --runs is the number of recorded execs per binary and per floor in each row (after 2 warm-ups
 * each); the default run takes about 3 minutes on 2 idle cores, --runs 40 about 5.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUN_PROVIDER_ENV } from '../cli/build/bun.ts';
import type { Backend } from '../cli/build/targets.ts';
import { type FakeWorld, type KubeletResult, type KubeletRun, startFakeWorld } from '../core/testing/index.ts';
import { isOlderThanSources, ROOT, SHARED_SOURCES } from '../scripts/binaries.ts';
import { type BenchBinary, prepareBinaries } from './builds.ts';
import {
  emptySeries,
  figures,
  fileSizes,
  type Measured,
  measured,
  measuredStorm,
  prepareRusage,
  record,
  type Series,
} from './measure.ts';
import { floorPlan, markRequests, requestsSince } from './plan.ts';
import {
  type BenchReport,
  type PairRow,
  renderReport,
  type SideFigures,
  type StormRow,
  writeResults,
} from './report.ts';
import { compileWithRuntime, runtimeVariants } from './runtimes.ts';
import {
  type Cloud,
  type CloudScenario,
  carriesIdentity,
  kubeletEnv,
  SCENARIOS,
  type ScenarioRun,
  scenarioFor,
} from './scenarios.ts';

const STATIC_ENV = { STATIC_USERNAME: 'robot', STATIC_PASSWORD: 'bench-static-password' };

/**
 * Every exec (binary and floor alike) runs with the env entry `credkit config` writes for it, as
 * the kubelet passes a config's `env`; a storm of each binary also runs without it, as under a
 * config written for the upstream binary (cli/build/bun.ts says what it changes).
 */
function configured(run: KubeletRun, withConfigEnv = true): KubeletRun {
  return withConfigEnv ? { ...run, env: { ...BUN_PROVIDER_ENV, ...run.env } } : run;
}
const WARMUP = 2;

interface Options {
  runs: number;
  storm: number;
  stormRepeats: number;
  clouds: Cloud[];
  backends: Backend[];
  write: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      storm: { type: 'string', default: '64' },
      'storm-repeats': { type: 'string', default: '3' },
      clouds: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
      backends: { type: 'string', default: 'bun' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const storm = Number(values.storm);
  const stormRepeats = Number(values['storm-repeats']);
  if ([runs, storm, stormRepeats].some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error('--runs, --storm and --storm-repeats take a positive whole number');
  }
  const clouds = values.clouds.split(',') as Cloud[];
  for (const cloud of clouds) if (!(cloud in SCENARIOS)) throw new Error(`--clouds: no scenario for ${cloud}`);
  return {
    runs,
    storm,
    stormRepeats,
    clouds,
    backends: values.backends.split(',') as Backend[],
    // Figures of a partial run are not the record.
    write: !values['no-write'] && values.clouds === Object.keys(SCENARIOS).join(','),
  };
}

/** Whose credential an answer carries: undefined when valid and its own, else why not. */
function judge(
  result: KubeletResult,
  scenario: CloudScenario | undefined,
  expected: string | undefined,
): { failure?: string; crossTalk?: boolean } {
  if (result.exitCode !== 0 || !result.verdict.valid)
    return { failure: `exit ${result.exitCode}: ${result.stderr.trim() || result.verdict.reasons.join('; ')}` };
  if (result.stderr !== '') return { failure: `stderr not empty: ${result.stderr.trim()}` };
  if (!scenario || expected === undefined) return {};
  const password = Object.values(result.response?.auth ?? {})[0]?.password;
  if (carriesIdentity(scenario, password, expected)) return {};
  const owner = password === undefined ? undefined : scenario.identityOf(password);
  if (owner === undefined) return { failure: `the answer for ${expected} carries no credential the fake issued` };
  return { failure: `the answer for ${expected} carries ${owner}'s credential`, crossTalk: true };
}

/** One side of a pair: how to exec identity `index`, and whose credential its answer must carry. */
interface Side {
  name: string;
  run(index: number): Promise<{ run: KubeletRun; expected?: string }>;
  judged: boolean;
}

interface SideTally {
  series: Series;
  roundTrips: number[];
  connects: number[];
  answers: Set<string>;
}

/**
 * Binary and floor, interleaved: A B A B ..., so both see the same machine load at the same moment;
 * round trips and CONNECTs per exec are counted by the fakes and the proxy around each exec.
 */
async function interleaved(
  sides: [Side, Side],
  scenario: CloudScenario | undefined,
  runs: number,
): Promise<[SideFigures, SideFigures]> {
  const tallies: SideTally[] = sides.map(() => ({
    series: emptySeries(),
    roundTrips: [],
    connects: [],
    answers: new Set(),
  }));
  for (let index = 0; index < WARMUP + runs; index++) {
    for (const [i, side] of sides.entries()) {
      const tally = tallies[i] as SideTally;
      const { run, expected } = await side.run(index);
      const servers = scenario?.world.servers ?? [];
      const marks = markRequests(servers);
      const connects = scenario?.world.proxy.connects.length ?? 0;
      const exec: Measured = await measured(configured(run));
      if (index < WARMUP) continue;
      const verdict = judge(exec.result, side.judged ? scenario : undefined, expected);
      record(tally.series, exec, verdict.failure);
      const requests = requestsSince(servers, marks);
      tally.roundTrips.push(requests.length);
      tally.connects.push((scenario?.world.proxy.connects.length ?? 0) - connects);
      tally.answers.add(requests.map(({ request }) => request.status ?? '?').join(' ') || 'none');
    }
  }
  return sides.map((side, i) => {
    const tally = tallies[i] as SideTally;
    return {
      name: side.name,
      series: tally.series,
      roundTrips: mean(tally.roundTrips),
      connects: mean(tally.connects),
      answers: [...tally.answers],
    };
  }) as [SideFigures, SideFigures];
}

/** The run's temporary directories (floor plans, links), removed when it ends. */
const scratch: string[] = [];
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN);

/** Records one exec of the binary for `pick`'s identity and writes the floor's plan for it. */
async function recordPlan(
  binary: BenchBinary,
  scenario: CloudScenario,
  chosen: ScenarioRun,
  dir: string,
  label: string,
): Promise<string> {
  const servers = scenario.world.servers;
  const marks = markRequests(servers);
  const exec = await measured(configured({ command: [binary.file, ...chosen.args], ...chosen.run }));
  const verdict = judge(exec.result, scenario, chosen.expected);
  if (verdict.failure) throw new Error(`${binary.name} ${label}: the recorded exec failed: ${verdict.failure}`);
  const plan = floorPlan(requestsSince(servers, marks), {
    ...(chosen.run.serviceAccountToken ? { token: chosen.run.serviceAccountToken } : {}),
    ...(chosen.run.serviceAccountAnnotations ? { annotations: chosen.run.serviceAccountAnnotations } : {}),
  });
  const file = join(dir, `${binary.name}-${label.replace(/\W+/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(plan, null, 2));
  return file;
}

type Pick = (index: number) => Promise<ScenarioRun>;

async function measurePairs(
  backend: Backend,
  binaries: Map<string, BenchBinary>,
  scenarios: Partial<Record<Cloud, CloudScenario>>,
  opts: Options,
  log: (line: string) => void,
): Promise<PairRow[]> {
  const rows: PairRow[] = [];
  const printFloor = binaries.get('print-floor');
  const example = binaries.get('static-provider');
  const anyWorld = Object.values(scenarios)[0]?.world;
  if (printFloor && example && anyWorld) {
    log(`[${backend}] static-provider against the print-only floor`);
    const inheritedEnv = kubeletEnv(anyWorld);
    const base = { image: 'registry.example.com/app', inheritedEnv };
    const sides: [Side, Side] = [
      {
        name: example.name,
        judged: false,
        run: async () => ({ run: { command: [example.file], ...base, env: STATIC_ENV } }),
      },
      { name: 'print-only floor', judged: false, run: async () => ({ run: { command: [printFloor.file], ...base } }) },
    ];
    const [bin, floor] = await interleaved(sides, undefined, opts.runs);
    rows.push({ backend, mode: 'example provider (no network)', binary: bin, floor });
  }

  const networkFloor = binaries.get('network-floor');
  const plans = scratchDir('credkit-floor-plans-');
  for (const cloud of opts.clouds) {
    const binary = binaries.get(`credkit-${cloud}`);
    const scenario = scenarios[cloud];
    if (!binary || !scenario) continue;
    const node = scenario.node;
    const kinds: Array<[string, Pick]> = [
      // A cloud without a node identity has no such row.
      ...(node ? [['node identity', async () => node] as [string, Pick]] : []),
      // A distinct service account per exec: nothing the runtime caches between execs helps.
      ['service account', (index) => scenario.serviceAccount(index)],
    ];
    for (const [mode, pick] of kinds) {
      log(`[${backend}] ${binary.name}, ${mode}`);
      const binarySide: Side = {
        name: binary.name,
        judged: true,
        run: async (index) => {
          const chosen = await pick(index);
          return { run: { command: [binary.file, ...chosen.args], ...chosen.run }, expected: chosen.expected };
        },
      };
      const floorSide = await floorFor(networkFloor, binary, scenario, pick, plans, mode, opts.runs + WARMUP);
      if (!floorSide) continue;
      const [bin, floor] = await interleaved([binarySide, floorSide], scenario, opts.runs);
      rows.push({ backend, mode, binary: bin, floor });
    }
  }
  return rows;
}

/** The network floor side for one binary and request kind, its plan recorded from a real exec. */
async function floorFor(
  networkFloor: BenchBinary | undefined,
  binary: BenchBinary,
  scenario: CloudScenario,
  pick: Pick,
  plans: string,
  mode: string,
  recordingIndex: number,
): Promise<Side | undefined> {
  if (!networkFloor) return undefined;
  const plan = await recordPlan(binary, scenario, await pick(recordingIndex), plans, mode);
  return {
    name: 'network floor',
    judged: false,
    run: async (index) => {
      const chosen = await pick(index);
      return { run: { command: [networkFloor.file, plan], ...chosen.run } };
    },
  };
}

/**
 * credkit-node invoked under each adapter's binary name (a symlink, as the installer makes it)
 * against that adapter's own binary, interleaved: the issue wants their exec figures to match.
 */
async function measureMulticall(
  binaries: Map<string, BenchBinary>,
  scenarios: Partial<Record<Cloud, CloudScenario>>,
  opts: Options,
  log: (line: string) => void,
): Promise<PairRow[]> {
  const multicall = binaries.get('credkit-node');
  if (!multicall) return [];
  const links = scratchDir('credkit-node-links-');
  const rows: PairRow[] = [];
  for (const cloud of opts.clouds) {
    const binary = binaries.get(`credkit-${cloud}`);
    const scenario = scenarios[cloud];
    if (!binary || !scenario) continue;
    const link = join(links, binary.name);
    symlinkSync(multicall.file, link);
    log(`[bun] credkit-node as ${binary.name}, service account`);
    const side = (name: string, file: string): Side => ({
      name,
      judged: true,
      run: async (index) => {
        const chosen = await scenario.serviceAccount(index);
        return { run: { command: [file, ...chosen.args], ...chosen.run }, expected: chosen.expected };
      },
    });
    const [node, own] = await interleaved(
      [side(`credkit-node as ${binary.name}`, link), side(binary.name, binary.file)],
      scenario,
      opts.runs,
    );
    rows.push({ backend: 'bun', mode: 'service account', binary: node, floor: own });
  }
  return rows;
}

/**
 * All `count` execs at once, as when a node boots and the kubelet pulls every pod's images together.
 * They are started by bench/storm.c, whose fork costs what the kubelet's (Go's vfork) does, not by
 * this process, whose fork of itself cost ~12 ms of the storm's CPU per exec.
 */
async function storm(
  name: string,
  command: (chosen: ScenarioRun) => string[],
  scenario: CloudScenario,
  opts: Options,
  judged: boolean,
  withConfigEnv = true,
): Promise<Omit<StormRow, 'backend'>> {
  // One storm's p99 moves by ±10-20 % from run to run on these shared cores: the row is the storm
  // with the median p99 of `--storm-repeats`, and lists every storm's p99 and all their failures.
  const runs: Array<Omit<StormRow, 'backend'>> = [];
  for (let i = 0; i < opts.stormRepeats; i++) {
    runs.push(await stormOnce(name, command, scenario, opts.storm, judged, withConfigEnv));
  }
  const p99sMs = runs.map((run) => figures(run.series).p99);
  const median = [...runs].sort((a, b) => figures(a.series).p99 - figures(b.series).p99)[runs.length >> 1];
  return {
    ...(median as Omit<StormRow, 'backend'>),
    p99sMs,
    failuresAll: runs.reduce((sum, run) => sum + run.series.failures.length, 0),
    crossTalk: runs.reduce((sum, run) => sum + run.crossTalk, 0),
  };
}

async function stormOnce(
  name: string,
  command: (chosen: ScenarioRun) => string[],
  scenario: CloudScenario,
  count: number,
  judged: boolean,
  withConfigEnv: boolean,
): Promise<Omit<StormRow, 'backend'>> {
  const chosen = await Promise.all(Array.from({ length: count }, (_, i) => scenario.serviceAccount(i)));
  const [loadAtStart = Number.NaN] = loadavg();
  const started = performance.now();
  const harness = process.cpuUsage();
  const execs = await measuredStorm(
    chosen.map((pick) => configured({ command: command(pick), ...pick.run }, withConfigEnv)),
  );
  const wallMs = performance.now() - started;
  const { user, system } = process.cpuUsage(harness);
  const series = emptySeries();
  let crossTalk = 0;
  for (const [i, exec] of execs.entries()) {
    const verdict = judge(exec.result, judged ? scenario : undefined, chosen[i]?.expected);
    if (verdict.crossTalk) crossTalk++;
    record(series, exec, verdict.failure);
  }
  const cpuTotalMs = execs.reduce((sum, exec) => sum + (Number.isNaN(exec.usage.cpuMs) ? 0 : exec.usage.cpuMs), 0);
  return {
    binary: name,
    count,
    series,
    wallMs,
    cpuTotalMs,
    harnessCpuMs: (user + system) / 1000,
    crossTalk,
    loadAtStart,
    p99sMs: [figures(series).p99],
    failuresAll: series.failures.length,
  };
}

async function storms(
  backend: Backend,
  binaries: Map<string, BenchBinary>,
  scenarios: Partial<Record<Cloud, CloudScenario>>,
  opts: Options,
  log: (line: string) => void,
): Promise<StormRow[]> {
  const rows: StormRow[] = [];
  const networkFloor = binaries.get('network-floor');
  const plans = scratchDir('credkit-storm-plans-');
  for (const cloud of opts.clouds) {
    const binary = binaries.get(`credkit-${cloud}`);
    const scenario = scenarios[cloud];
    if (!binary || !scenario) continue;
    log(`[${backend}] storm of ${opts.storm}: ${binary.name}`);
    rows.push({ backend, ...(await storm(binary.name, (c) => [binary.file, ...c.args], scenario, opts, true)) });
    log(`[${backend}] storm of ${opts.storm}: ${binary.name}, without the config's env`);
    const bare = await storm(binary.name, (c) => [binary.file, ...c.args], scenario, opts, true, false);
    rows.push({ backend, ...bare, binary: `${binary.name} (no config env)` });
    if (!networkFloor) continue;
    const plan = await recordPlan(binary, scenario, await scenario.serviceAccount(opts.storm), plans, 'storm');
    log(`[${backend}] storm of ${opts.storm}: its network floor`);
    const floor = await storm(`${binary.name} network floor`, () => [networkFloor.file, plan], scenario, opts, false);
    rows.push({ backend, ...floor });
  }
  return rows;
}

/**
 * credkit-gar built on each other linux-x64 runtime the registry offers: its size, and whether it
 * is the default runtime byte for byte (then every exec figure is the default's).
 */
async function runtimeSizes(log: (line: string) => void): Promise<BenchReport['runtimes']> {
  const rows: BenchReport['runtimes'] = [];
  for (const variant of await runtimeVariants(log)) {
    const file = join(ROOT, 'dist', 'bench', 'bun', `credkit-gar-${variant.name}`);
    if (isOlderThanSources(file, { sources: ['adapters/gar', ...SHARED_SOURCES] })) {
      log(`[bun] building credkit-gar on ${variant.package}`);
      await compileWithRuntime('credkit-gar', file, variant.executable);
    }
    rows.push({ ...variant, binary: 'credkit-gar', ...fileSizes(file) });
  }
  return rows;
}

async function main(): Promise<void> {
  const opts = options();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  prepareRusage();
  const started = Date.now();
  const report: BenchReport = {
    runs: opts.runs,
    warmup: WARMUP,
    pairs: [],
    multicall: [],
    storms: [],
    sizes: [],
    runtimes: [],
    loadAtStart: loadavg(),
  };
  const worlds: FakeWorld[] = [];
  try {
    // Identities 0..runs+2 for the rows, one more for each recording; the storm uses 0..storm.
    const identities = Math.max(opts.storm, opts.runs + WARMUP) + 1;
    const scenarios: Partial<Record<Cloud, CloudScenario>> = {};
    for (const cloud of opts.clouds) {
      const world = await startFakeWorld();
      worlds.push(world);
      scenarios[cloud] = await scenarioFor(cloud, world, identities);
    }
    for (const backend of opts.backends) {
      log(`[${backend}] building what is stale`);
      const binaries = await prepareBinaries(backend, log);
      for (const binary of binaries.values())
        report.sizes.push({ backend, binary: binary.name, ...fileSizes(binary.file) });
      report.pairs.push(...(await measurePairs(backend, binaries, scenarios, opts, log)));
      report.multicall.push(...(await measureMulticall(binaries, scenarios, opts, log)));
      report.storms.push(...(await storms(backend, binaries, scenarios, opts, log)));
      if (backend === 'bun') report.runtimes.push(...(await runtimeSizes(log)));
    }
  } finally {
    await Promise.all(worlds.map((world) => world.close()));
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  }
  report.durationS = (Date.now() - started) / 1000;
  const markdown = renderReport(report);
  process.stdout.write(`${markdown}\n`);
  if (opts.write) writeResults(markdown);
}

await main();

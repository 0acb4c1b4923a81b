/**
 * `npm run bench:profile`: where each binary's CPU goes. Builds each cloud binary once more
 * without --minify and --splitting (every other bun flag the same, so the bytecode, JIT policy and
 * lazy imports are the product's; one module, so every frame maps through one bundle's comments,
 * though a lazy chunk's builtin imports then load at start-up) plus the same bundle as plain
 * JavaScript, runs service account and node identity execs against the fakes under bun's sampling profiler (BUN_OPTIONS=--cpu-prof, 100 µs), and maps
 * every sample to the source module of its innermost bundled frame through the `// path` comments
 * bun writes between modules. A sample counts as module evaluation when it runs a module's top-level
 * code (the bundle's top level outside core/run.ts, or a lazy import's __esm initialiser). The profiler sees only the JavaScript thread: bun's HTTP client thread (TLS, sockets)
 * and the runtime's native start-up are the exec's CPU (bench/rusage.c) minus the profile.
 *
 *   npm run bench:profile -- [--execs 20] [--clouds ecr,acr,gar]
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bunArgs } from '../cli/build/bun.ts';
import { runTool } from '../cli/build/exec.ts';
import { bunExecutable } from '../cli/build/runtimes.ts';
import { startFakeWorld } from '../core/testing/index.ts';
import { ROOT } from '../scripts/binaries.ts';
import { measured, prepareRusage } from './measure.ts';
import { productEntry } from './runtimes.ts';
import { type Cloud, type ScenarioRun, scenarioFor } from './scenarios.ts';

const INTERVAL_US = 100;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

/** Builds the profiling twin of dist/bin/credkit-<cloud> and its bundle text; returns both paths. */
async function buildTwin(cloud: Cloud, dir: string): Promise<{ binary: string; bundle: string }> {
  const bun = bunExecutable().path;
  const entry = productEntry(`credkit-${cloud}`);
  const binary = join(dir, `credkit-${cloud}`);
  const bundle = join(dir, `credkit-${cloud}.js`);
  try {
    const args = bunArgs({ entry: entry.file, outfile: binary, target: 'linux-x64' }, undefined).filter(
      (arg) => arg !== '--minify' && arg !== '--splitting',
    );
    await runTool(bun, args);
    await runTool(bun, ['build', entry.file, `--outfile=${bundle}`, '--target=bun', '--format=esm', '--keep-names']);
  } finally {
    entry.dispose();
  }
  return { binary, bundle };
}

/** Line number → source module, from the `// path/to/module.ts` comments of the bundle. */
function moduleIndex(bundle: string): (line: number) => string {
  const starts: Array<[number, string]> = [];
  readFileSync(bundle, 'utf8')
    .split('\n')
    .forEach((text, line) => {
      const match = /^\/\/ ((?:node_modules|core|adapters|cli|examples)\/\S+)$/.exec(text);
      if (match) starts.push([line, match[1] as string]);
    });
  return (line) => {
    let found = '(bundle preamble)';
    for (const [start, path] of starts) {
      if (start > line) break;
      found = path;
    }
    return found;
  };
}

/** The area a module belongs to, in the words of the breakdown. */
function area(module: string): string {
  if (module.startsWith('node_modules/zod/')) return 'zod';
  if (/^core\/(log|redact)\.ts$/.test(module)) return 'logging set-up and redaction (core/log, core/redact)';
  if (/^core\/(http|http-fetch|transport|exchange)/.test(module)) return 'HTTP and exchange layer (core)';
  if (module.startsWith('core/')) return `core (${module.slice(5)})`;
  if (module.startsWith('adapters/')) return `adapter (${module.split('/').slice(1).join('/')})`;
  if (module.startsWith('node_modules/'))
    return `package ${module
      .split('/')
      .slice(1, module.includes('/@') ? 3 : 2)
      .join('/')}`;
  return module;
}

interface Tally {
  samples: number;
  byArea: Map<string, { evaluation: number; main: number }>;
}

function tallyProfile(profile: Profile, moduleOf: (line: number) => string, bundleUrl: string, tally: Tally): void {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  for (const sample of profile.samples) {
    let inRun = false;
    let initialising = false;
    let outermost = '';
    let innermost: string | undefined;
    let fallback: string | undefined;
    let builtin: string | undefined;
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (!frame) break;
      const isBundle = frame.url === bundleUrl;
      const module = isBundle ? moduleOf(frame.lineNumber) : undefined;
      if (module && innermost === undefined) innermost = module;
      if (module === 'core/run.ts') inRun = true;
      // bun's lazy module initialisers (__esm) and its other helpers live in the preamble.
      if (module === '(bundle preamble)') initialising = true;
      if (frame.functionName !== '(root)') outermost = frame.functionName;
      fallback ??= frame.functionName || frame.url || undefined;
      // The outermost node: module on the stack names the builtin being loaded or run.
      if (frame.url.startsWith('node:')) builtin = frame.url;
    }
    // Evaluation: a module's top-level code, whether the bundle's own (the top level, outside
    // core/run.ts) or a lazily imported module's initialiser (an __esm frame), whenever it runs.
    const inMain = !initialising && (inRun || outermost !== '(module)');
    const key = innermost ? area(innermost) : classifyOutside(fallback, builtin);
    if (key === undefined) continue;
    tally.samples++;
    const entry = tally.byArea.get(key) ?? { evaluation: 0, main: 0 };
    if (inMain) entry.main++;
    else entry.evaluation++;
    tally.byArea.set(key, entry);
  }
}

/** Samples with no bundled frame: the runtime's own start-up and builtins, or idle. */
function classifyOutside(name: string | undefined, builtin: string | undefined): string | undefined {
  if (name === '(idle)') return undefined;
  if (name === '(garbage collector)') return 'garbage collector';
  if (builtin) return `runtime builtin ${builtin} (no credkit frame on the stack)`;
  return 'runtime, no credkit frame on the stack';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { execs: { type: 'string', default: '20' }, clouds: { type: 'string', default: 'ecr,acr,gar' } },
  });
  const execs = Number(values.execs);
  prepareRusage();
  const dir = join(ROOT, 'dist', 'bench', 'profile');
  mkdirSync(dir, { recursive: true });
  const out: string[] = [
    `Profiles: ${execs} execs per row, bun's sampling profiler at ${INTERVAL_US} µs; ms are per exec.`,
  ];
  for (const cloud of values.clouds.split(',') as Cloud[]) {
    process.stderr.write(`profiling credkit-${cloud}\n`);
    const { binary, bundle } = await buildTwin(cloud, dir);
    const moduleOf = moduleIndex(bundle);
    const world = await startFakeWorld();
    try {
      const scenario = await scenarioFor(cloud, world, execs + 1);
      const node = scenario.node;
      const kinds: Array<[string, (i: number) => Promise<ScenarioRun>]> = [
        ['service account', (i) => scenario.serviceAccount(i)],
        // An adapter without a node identity has only the first.
        ...(node ? [['node identity', async () => node] as [string, () => Promise<ScenarioRun>]] : []),
      ];
      for (const [kind, pick] of kinds) {
        const profiles = mkdtempSync(join(tmpdir(), 'credkit-prof-'));
        const tally: Tally = { samples: 0, byArea: new Map() };
        // Profiled and plain execs interleaved: the sampler's own thread costs CPU, so the exec's
        // CPU is taken from the plain ones.
        let cpuMs = 0;
        let profiledCpuMs = 0;
        for (let i = 0; i < execs; i++) {
          const chosen = await pick(i);
          const env = {
            BUN_OPTIONS: `--cpu-prof --cpu-prof-interval=${INTERVAL_US} --cpu-prof-dir=${profiles} --cpu-prof-name=${i}.cpuprofile`,
          };
          for (const run of [{ ...chosen.run, env }, chosen.run]) {
            const exec = await measured({ command: [binary, ...chosen.args], ...run });
            if (!exec.result.verdict.valid) throw new Error(`credkit-${cloud} ${kind}: ${exec.result.stderr.trim()}`);
            if (run === chosen.run) cpuMs += exec.usage.cpuMs;
            else profiledCpuMs += exec.usage.cpuMs;
          }
        }
        for (const file of readdirSync(profiles)) {
          const profile = JSON.parse(readFileSync(join(profiles, file), 'utf8')) as Profile;
          tallyProfile(profile, moduleOf, `file:///$bunfs/root/credkit-${cloud}`, tally);
        }
        rmSync(profiles, { recursive: true, force: true });
        const ms = (samples: number) => ((samples * INTERVAL_US) / 1000 / execs).toFixed(1);
        out.push(
          '',
          `#### credkit-${cloud}, ${kind}: exec CPU ${(cpuMs / execs).toFixed(1)} ms (${(profiledCpuMs / execs).toFixed(1)} ms under the profiler), JavaScript thread ${ms(tally.samples)} ms`,
          '',
          '| where | module evaluation ms | exec path (main) ms | share of the JS thread |',
          '| --- | ---: | ---: | ---: |',
          ...[...tally.byArea.entries()]
            .sort(([, a], [, b]) => b.evaluation + b.main - (a.evaluation + a.main))
            .filter(([, { evaluation, main }]) => (evaluation + main) / tally.samples >= 0.01)
            .map(
              ([name, { evaluation, main }]) =>
                `| ${name} | ${ms(evaluation)} | ${ms(main)} | ${(((evaluation + main) / tally.samples) * 100).toFixed(0)} % |`,
            ),
          `| (areas under 1 % left out) | | | |`,
          `| exec CPU not on the JavaScript thread: runtime native start-up, HTTP thread (TLS, sockets), GC | | | ${(cpuMs / execs - (tally.samples * INTERVAL_US) / 1000 / execs).toFixed(1)} ms |`,
        );
      }
    } finally {
      await world.close();
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();

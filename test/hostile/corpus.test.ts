/**
 * The permanent hostile corpus (issue 11): every registered adapter's compiled binary, exec-ed as
 * the kubelet does, against malformed and hostile requests (corpus.ts) at `--v=0`, `--v=10` and
 * `--v=10 --log-format=json`. Every answer: the expected exit class, exactly one line at `--v=0`,
 * every line within the budget, nothing raw, no stack, no secret; and no network before a refusal
 * decided from the request alone (the world's fakes and its proxy count every call).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_KINDS } from '../../core/errors.ts';
import type { KubeletResult } from '../../core/testing/index.ts';
import { corpus, type HostileCase } from './corpus.ts';
import { lineProblems, signatureOf, startTarget, TARGETS, type Target } from './harness.ts';

const VARIANTS = [
  { variant: '--v=0', args: ['--v=0'], verbosity: 0, json: false },
  { variant: '--v=10', args: ['--v=10'], verbosity: 10, json: false },
  { variant: '--v=10 json', args: ['--v=10', '--log-format=json'], verbosity: 10, json: true },
] as const;
type Variant = (typeof VARIANTS)[number];

const LOCAL_REFUSALS: number[] = [ERROR_KINDS.usage, ERROR_KINDS.request, ERROR_KINDS.token];

/** Execs of one binary at once: the machine has two cores and every binary runs its corpus together. */
const WAVE = 3;

// The case names do not depend on the adapter: the table is known before any world starts.
const PLACEHOLDER = {
  label: 'placeholder',
  args: [],
  run: {
    image: 'registry.example.com/team/app:1',
    serviceAccountToken: `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2ln`,
    serviceAccountAnnotations: { 'example.com/key': 'v' },
  },
};
const TABLE = corpus(PLACEHOLDER).flatMap((testCase) =>
  VARIANTS.map((variant) => ({ group: testCase.group, name: testCase.name, ...variant })),
);

interface Outcome {
  testCase: HostileCase;
  result: KubeletResult;
  /** Calls the exec made (fakes and proxy). */
  network: number;
}

interface Run {
  target: Target;
  baseline: KubeletResult;
  outcomes: Map<string, Outcome>;
  secrets: string[];
}

const runs = new Map<string, Run>();
const keyOf = (name: string, variant: string) => `${name} | ${variant}`;

async function exec(target: Target, testCase: HostileCase, variant: Variant): Promise<KubeletResult> {
  const base = target.serviceAccount;
  const { runLikeKubelet } = await import('../../core/testing/index.ts');
  return runLikeKubelet({
    command: [...target.command, ...base.args, ...variant.args],
    ...base.run,
    stdin: testCase.stdin,
    timeoutMs: 20_000,
  });
}

/**
 * Runs the corpus against one binary. Cases that must make no call run in waves; a wave whose
 * calls are not zero is run again one exec at a time, so every count belongs to one exec.
 */
async function runCorpus(target: Target): Promise<Run> {
  const { runLikeKubelet } = await import('../../core/testing/index.ts');
  const base = target.serviceAccount;
  const baseline = await runLikeKubelet({ command: [...target.command, ...base.args], ...base.run });
  const password = baseline.response?.auth ? Object.values(baseline.response.auth)[0]?.password : undefined;
  const token = base.run.serviceAccountToken;
  const secrets = [token, signatureOf(token), password].filter((s): s is string => !!s);

  const cases = corpus(base);
  const tasks = cases.flatMap((testCase) => VARIANTS.map((variant) => ({ testCase, variant })));
  const outcomes = new Map<string, Outcome>();
  const quiet = tasks.filter((task) => !task.testCase.network);
  for (let start = 0; start < quiet.length; start += WAVE) {
    const wave = quiet.slice(start, start + WAVE);
    const before = target.network();
    const results = await Promise.all(wave.map((task) => exec(target, task.testCase, task.variant)));
    const clean = target.network() === before;
    for (const [i, task] of wave.entries()) {
      let result = results[i]!;
      let network = 0;
      if (!clean) {
        const alone = target.network();
        result = await exec(target, task.testCase, task.variant);
        network = target.network() - alone;
      }
      outcomes.set(keyOf(task.testCase.name, task.variant.variant), { testCase: task.testCase, result, network });
    }
  }
  // Cases that may reach the network run one at a time, so their calls are theirs too.
  for (const task of tasks.filter((t) => t.testCase.network)) {
    const before = target.network();
    const result = await exec(target, task.testCase, task.variant);
    const network = target.network() - before;
    outcomes.set(keyOf(task.testCase.name, task.variant.variant), { testCase: task.testCase, result, network });
  }
  return { target, baseline, outcomes, secrets };
}

let started = 0;
beforeAll(async () => {
  started = performance.now();
  await Promise.all(
    TARGETS.map(async (adapter) => {
      const target = await startTarget(adapter);
      runs.set(adapter.binary, await runCorpus(target));
    }),
  );
}, 290_000);

afterAll(async () => {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const execs = [...runs.values()].reduce((sum, run) => sum + run.outcomes.size + 1, 0);
  process.stderr.write(`[hostile corpus] ${execs} execs of ${runs.size} binaries in ${seconds}s\n`);
  await Promise.all([...runs.values()].map((run) => run.target.close()));
});

/** The error line's text: the line itself, or `msg` of the JSON record. */
function errorText(result: KubeletResult, json: boolean): string {
  const lines = result.stderr.trimEnd().split('\n');
  if (!json) return lines.find((line) => line.startsWith('E')) ?? lines.at(-1) ?? '';
  const records = lines.map((line) => JSON.parse(line) as { msg?: string; level?: string });
  return records.find((record) => record.level === 'error')?.msg ?? '';
}

describe.each(TARGETS.map((adapter) => ({ binary: adapter.binary })))('$binary: hostile corpus', ({ binary }) => {
  it('serves the unmodified request every case differs from (so no refusal is vacuous)', () => {
    const run = runs.get(binary)!;
    expect(run.baseline.exitCode).toBe(0);
    expect(run.baseline.verdict.valid).toBe(true);
    expect(run.target.network()).toBeGreaterThan(0);
  });

  it.each(TABLE)('$group: $name ($variant)', ({ name, variant, verbosity, json }) => {
    const run = runs.get(binary)!;
    const { testCase, result, network } = run.outcomes.get(keyOf(name, variant))!;
    const secrets = [...run.secrets, ...(testCase.secrets ?? [])];
    expect(lineProblems(result, { verbosity, secrets })).toEqual([]);
    expect(result.durationMs).toBeLessThan(15_000);
    if (testCase.exit) expect(testCase.exit).toContain(result.exitCode);
    if (!testCase.network) expect(network).toBe(0);
    // A refusal from the request alone (bad flags, request or token) never waits for the network.
    if (LOCAL_REFUSALS.includes(result.exitCode ?? -1)) expect(network).toBe(0);
    if (json) for (const line of result.stderr.trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    if (testCase.line && result.exitCode !== 0) expect(errorText(result, json)).toMatch(testCase.line);
    if (testCase.served) {
      expect(result.verdict.valid).toBe(true);
      expect(result.response?.auth).toBeDefined();
    }
  });
});

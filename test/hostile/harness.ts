/**
 * What the hostile suites share: each registered adapter's binary (dist/bin/credkit-<name>, the
 * test setup rebuilds stale ones) in its own fake world (adapters/<name>/fake/scenario.ts), an exec
 * exactly as the kubelet's, and the checks every answer to bad input must pass whatever it was:
 * one bounded line on failure, every line within the budget, nothing raw, no stack, no secret.
 */
import { ADAPTERS } from '../../adapters/index.ts';
import type { AdapterDescriptor } from '../../core/adapter.ts';
import { LINE_BUDGET } from '../../core/line.ts';
import { Redactor } from '../../core/redact.ts';
import type { KubeletResult, Scenario, ScenarioRun } from '../../core/testing/index.ts';
import { startScenario } from '../../testing/scenarios.ts';
import { providerCommand } from '../support/commands.ts';

export interface Target {
  adapter: AdapterDescriptor;
  command: string[];
  scenario: Scenario;
  /** The exchange of service account 0: the run every case perturbs. */
  serviceAccount: ScenarioRun;
  /** Every request the world's fakes and its proxy have seen so far. */
  network(): number;
  close(): Promise<void>;
}

/** The adapters the suites run: every registered one (adapters/index.ts), so a new one is covered. */
export const TARGETS = ADAPTERS;

export async function startTarget(adapter: AdapterDescriptor): Promise<Target> {
  const scenario = await startScenario(adapter.name, 2);
  const { world } = scenario;
  return {
    adapter,
    command: providerCommand(adapter.name),
    scenario,
    serviceAccount: await scenario.serviceAccount(0),
    network: () =>
      world.proxy.connects.length +
      (world.issuer.server?.calls() ?? 0) +
      world.servers.reduce((sum, server) => sum + server.calls(), 0),
    close: () => world.close(),
  };
}

/** One stack frame as V8 or JavaScriptCore prints it. */
const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\))$|^\s*\w*@.*:\d+:\d+$/m;
const RAW_CONTROL = /[\p{Cc}\u2028\u2029]/u;

export interface Expectation {
  /** `--v=N` of the exec. */
  verbosity: number;
  /** Values that must appear nowhere in stdout of a failure or in stderr. */
  secrets: string[];
}

/**
 * The problems with an answer to bad input (empty when there are none): the rules of PROVIDERS.md
 * for every failure, checked on every exec of the suites.
 */
export function lineProblems(result: KubeletResult, expectation: Expectation): string[] {
  const problems: string[] = [];
  const failed = result.exitCode !== 0;
  if (result.timedOut) problems.push('killed by the kubelet 60 s bound');
  if (failed && result.stdout !== '') problems.push(`stdout not empty on failure: ${result.stdout.slice(0, 80)}`);
  const lines = result.stderr === '' ? [] : result.stderr.replace(/\n$/, '').split('\n');
  if (failed && expectation.verbosity === 0 && lines.length !== 1) {
    problems.push(`${lines.length} stderr lines at --v=0, want exactly 1`);
  }
  if (!result.stderr.endsWith('\n') && result.stderr !== '') problems.push('stderr does not end with a newline');
  for (const line of lines) {
    if (Buffer.byteLength(line) > LINE_BUDGET) problems.push(`a line of ${Buffer.byteLength(line)} bytes`);
    if (RAW_CONTROL.test(line)) problems.push(`a raw control character in: ${JSON.stringify(line.slice(0, 120))}`);
    if (/(.)\1{299}/.test(line)) problems.push('an input value echoed uncut (300 repeats)');
  }
  if (STACK_FRAME.test(result.stderr)) problems.push('a stack trace on stderr');
  const shown = failed ? result.stdout + result.stderr : result.stderr;
  for (const secret of expectation.secrets) {
    if (secret.length >= 8 && shown.includes(secret)) problems.push(`a secret on the output: ${secret.slice(0, 6)}…`);
  }
  // Whatever credkit prints has been through its redactor: nothing left for a fresh one to mask.
  if (new Redactor().redact(result.stderr) !== result.stderr) problems.push('a secret-shaped value on stderr');
  return problems;
}

/** The signature part of a JWT (a bearer proof on its own), or undefined. */
export function signatureOf(token: string | undefined): string | undefined {
  const parts = token?.split('.');
  return parts?.length === 3 && parts[2] ? parts[2] : undefined;
}

/**
 * The test half of an adapter descriptor (core/adapter.ts): its strict fakes started in a fake
 * world, with service accounts that may each pull as their own cloud identity, so a test can tell
 * whose credential an answer carries. The demo, the benchmark and the binary tests run every
 * registered adapter through this one shape.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeletRun } from '../kubelet.ts';
import type { FakeWorld } from './world.ts';

export interface AdapterTesting {
  /**
   * Starts the cloud's fakes in `world` (a world of its own: the clouds' metadata services share
   * 169.254.169.254) with `identities` service accounts, and says how to exec the binary there.
   */
  scenario(world: FakeWorld, identities: number): Promise<Scenario>;
}

export interface Scenario {
  world: FakeWorld;
  /** The node-identity exec (no token: tokenAttributes not configured), where the cloud has one. */
  node?: ScenarioRun;
  /** The exec for service account `index` (0-based), which must get that account's own identity. */
  serviceAccount(index: number): Promise<ScenarioRun>;
  /** Further execs the demo shows: an image that is not the cloud's, another identity leg. */
  more?(): Promise<ScenarioRun[]>;
  /** Who the fake issued `password` to, in the terms `ScenarioRun.expected` uses. */
  identityOf(password: string): string | undefined;
  /** Requests the cloud's fakes served so far (round trips). */
  calls(): number;
}

/** One exec: `runLikeKubelet({ command: [binary, ...args], ...run })`. */
export interface ScenarioRun {
  /** What the exec shows, for tables: `node (IMDSv2)`, `sa-1 → STS → ECR`. */
  label: string;
  args: string[];
  run: Omit<KubeletRun, 'command'>;
  /** The identity the answer's credential must be issued to; undefined: no credential expected. */
  expected?: string;
}

/** Whether the answer's password was issued to the identity the run expects. */
export function carriesIdentity(scenario: Scenario, run: ScenarioRun, password: string | undefined): boolean {
  if (run.expected === undefined) return password === undefined;
  return password !== undefined && scenario.identityOf(password) === run.expected;
}

/** The namespace of the scenarios' service accounts (`system:serviceaccount:scenario:sa-<index>`). */
export const SCENARIO_NAMESPACE = 'scenario';

/** The subject of scenario service account `index`. */
export function scenarioSubject(index: number): string {
  return `system:serviceaccount:${SCENARIO_NAMESPACE}:sa-${index}`;
}

/** A token of scenario service account `index` for `audience`, from the world's issuer. */
export function scenarioToken(world: FakeWorld, index: number, audience: string): Promise<string> {
  return world.issuer.mint({ namespace: SCENARIO_NAMESPACE, serviceAccount: `sa-${index}`, audience });
}

/** The kubelet's environment: nothing from this machine (no ~/.aws, no cloud env), the world's proxy and CA. */
export function kubeletEnv(world: FakeWorld): Record<string, string> {
  return { PATH: '/usr/bin:/bin', HOME: mkdtempSync(join(world.dir, 'home-')), ...world.env };
}

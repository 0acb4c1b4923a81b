/**
 * The benchmark's view of the registered adapters' scenarios (adapters/<name>/fake/scenario.ts,
 * listed in adapters/index.ts): each cloud's fakes behind a fake world's CONNECT proxy and test CA,
 * with `identities` distinct service accounts, each allowed to pull with its own cloud identity, so
 * a run can tell whose credential an answer carries. One world per cloud: the clouds' metadata
 * services all live at 169.254.169.254.
 */

import { ecrScenario as ecrFakes } from '../adapters/ecr/fake/scenario.ts';
import { ADAPTERS } from '../adapters/index.ts';
import type { FakeWorld, Scenario } from '../core/testing/index.ts';

export { kubeletEnv, type ScenarioRun } from '../core/testing/index.ts';

/** A registered adapter's name. */
export type Cloud = string;

/** A registered adapter's scenario, as the benchmark runs it. */
export type CloudScenario = Scenario;

/** Registered adapter `name`'s scenario in `world` (throws for a name not in adapters/index.ts). */
export async function scenarioFor(name: Cloud, world: FakeWorld, identities: number): Promise<CloudScenario> {
  const adapter = ADAPTERS.find((candidate) => candidate.name === name);
  if (!adapter) throw new Error(`no registered adapter ${name}`);
  return (await adapter.testing()).scenario(world, identities);
}

/** The ECR scenario with another STS session length (the fleet's sweep). */
export async function ecrScenario(
  world: FakeWorld,
  identities: number,
  options: { sessionSeconds?: number } = {},
): Promise<CloudScenario> {
  return ecrFakes(world, identities, options);
}

/** The names of the registered adapters, each with a scenario. */
export const SCENARIOS: Record<Cloud, (world: FakeWorld, identities: number) => Promise<CloudScenario>> =
  Object.fromEntries(
    ADAPTERS.map((adapter) => [
      adapter.name,
      (world: FakeWorld, identities: number) => scenarioFor(adapter.name, world, identities),
    ]),
  );

/** Whether the answer's password was issued to the expected identity. */
export function carriesIdentity(
  scenario: Scenario,
  password: string | undefined,
  expected: string | undefined,
): boolean {
  return password !== undefined && expected !== undefined && scenario.identityOf(password) === expected;
}

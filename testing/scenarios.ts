/**
 * Every registered adapter's test half (adapters/index.ts), started the one way the demo, the
 * benchmark and the binary tests start it.
 */
import { adapterNamed } from '../adapters/index.ts';
import { type Scenario, startFakeWorld } from '../core/testing/index.ts';

/**
 * Starts adapter `name`'s fakes in a world of its own with `identities` service accounts. Close it
 * with `scenario.world.close()`.
 */
export async function startScenario(name: string, identities = 2): Promise<Scenario> {
  const adapter = adapterNamed(name);
  if (!adapter) throw new Error(`no registered adapter ${JSON.stringify(name)} (adapters/index.ts)`);
  const world = await startFakeWorld();
  try {
    return await (await adapter.testing()).scenario(world, identities);
  } catch (error) {
    await world.close();
    throw error;
  }
}

/**
 * Resolves what a `credkit` command names: a registered adapter (adapters/index.ts), or a module
 * whose default export is a provider made with the kit.
 */
import { ADAPTERS, adapterNamed } from '../adapters/index.ts';
import type { AdapterDescriptor } from '../core/adapter.ts';
import { CredkitError, isProvider, type Provider } from '../core/index.ts';
import { importModule } from './module.ts';

/** The registered adapters' names: `credkit config <name>`. */
export const CLOUDS: readonly string[] = ADAPTERS.map((adapter) => adapter.name);

export function isCloud(name: string): boolean {
  return adapterNamed(name) !== undefined;
}

/** The descriptor a command names, or undefined for a module path. */
export function adapterOf(target: string): AdapterDescriptor | undefined {
  return adapterNamed(target);
}

export async function loadProvider(target: string): Promise<Provider> {
  const adapter = adapterNamed(target);
  if (adapter) return adapter.provider();
  let module: { default?: unknown; provider?: unknown };
  try {
    module = (await importModule(target)) as typeof module;
  } catch (error) {
    if (error instanceof CredkitError) throw error;
    throw new CredkitError('usage', `cannot load ${target}: ${(error as Error).message.split('\n')[0]}`);
  }
  const candidate = module.default ?? module.provider;
  if (!isProvider(candidate)) {
    throw new CredkitError('usage', `${target} has no default export made with defineProvider()`);
  }
  return candidate;
}

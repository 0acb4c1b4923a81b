/**
 * Resolves what a `credkit` command names: one of the three clouds, or a module whose default
 * export is a provider made with the kit.
 */
import { CredkitError, isProvider, type Provider } from '../core/index.ts';
import { importModule } from './module.ts';

export const CLOUDS = ['ecr', 'acr', 'gar'] as const;
export type Cloud = (typeof CLOUDS)[number];

export function isCloud(name: string): name is Cloud {
  return (CLOUDS as readonly string[]).includes(name);
}

export async function loadProvider(target: string): Promise<Provider> {
  if (isCloud(target)) return (await loadCloud(target)) as Provider;
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

async function loadCloud(cloud: Cloud): Promise<unknown> {
  switch (cloud) {
    case 'ecr':
      return (await import('../adapters/ecr/index.ts')).provider;
    case 'acr':
      return (await import('../adapters/acr/index.ts')).provider;
    case 'gar':
      return (await import('../adapters/gar/index.ts')).provider;
  }
}

/**
 * The registered clouds: one descriptor per adapter folder (core/adapter.ts). The CLI, the build of
 * the per-cloud binaries, the demo, the benchmark and the test support loop over this list, so a
 * new registry is its folder plus one line here (docs/adapters.md).
 */
import type { AdapterDescriptor } from '../core/index.ts';
import { adapter as acr } from './acr/index.ts';
import { adapter as ecr } from './ecr/index.ts';
import { adapter as gar } from './gar/index.ts';
import { adapter as quay } from './quay/index.ts';

export const ADAPTERS: readonly AdapterDescriptor[] = [ecr, acr, gar, quay];

/** The descriptor called `name` (`credkit config <name>`), or undefined. */
export function adapterNamed(name: string): AdapterDescriptor | undefined {
  return ADAPTERS.find((adapter) => adapter.name === name);
}

/**
 * How a cloud adapter describes itself to the framework. Each `adapters/<name>/index.ts` exports
 * one descriptor and `adapters/index.ts` lists them; the CLI (`credkit config <name>`), the build
 * of the per-cloud binaries, the demo, the benchmark and the test support all loop over that list,
 * so adding a registry is one folder and one line (docs/adapters.md).
 *
 * A descriptor is cheap to load: names, args and trust notes are plain data, and the provider and
 * the test half come through `import()`, so listing the adapters loads no adapter's code path and a
 * binary never loads a fake.
 */
import type { Provider, TokenAttributes } from './provider.ts';
import type { AdapterTesting } from './testing/scenario.ts';

export interface AdapterDescriptor {
  /** Short name: the folder `adapters/<name>`, `credkit config <name>`, the binary `credkit-<name>`. */
  name: string;
  /** The binary's (and the kubelet config's provider) name. */
  binary: string;
  /** The upstream plugin it is a drop-in for (its binary name), when there is one. */
  dropInFor?: string;
  /** The kubelet config `args` the upstream install passes, so a generated entry works as is. */
  defaultArgs: readonly string[];
  /**
   * The cloud-side half of a service account setup, printed by `credkit config` next to the
   * kubelet half: what to create so the cloud accepts a pod's token for this audience.
   */
  trustNotes(attributes: TokenAttributes): string[];
  /** The provider; the per-cloud binary is built from `adapters/<name>/provider.ts`'s `provider`. */
  provider(): Promise<Provider>;
  /** The test half (its fakes and scenario, see credkit/testing); never imported by a binary. */
  testing(): Promise<AdapterTesting>;
}

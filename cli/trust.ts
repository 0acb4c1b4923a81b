/**
 * The cloud-side half of a service account setup, printed by `credkit config` next to the kubelet
 * half: each adapter's own notes (its descriptor's `trustNotes`), or for a provider module the
 * general shape of the trust to set up.
 */
import type { TokenAttributes } from '../core/index.ts';
import { adapterOf } from './providers.ts';

export function trustNotes(cloudOrProvider: string, attributes: TokenAttributes): string[] {
  const adapter = adapterOf(cloudOrProvider);
  if (adapter) return adapter.trustNotes(attributes);
  return [
    `Configure the registry's token service to trust the cluster's service account issuer for audience ${attributes.audience},`,
    'and map subjects system:serviceaccount:<namespace>:<name> to registry permissions.',
  ];
}

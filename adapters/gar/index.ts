/**
 * credkit/gar: the Google Artifact Registry adapter. Its public surface and its descriptor only;
 * the binary is built from `./provider.ts`, and the fakes live in `./fake/` (credkit/gar/fake), so
 * it never loads them.
 */
import type { AdapterDescriptor } from '../../core/index.ts';
import { trustNotes } from './trust.ts';

export {
  AUTH_FLOWS,
  type AuthFlow,
  GAR_FLAGS,
  type GarConfig,
  type GarFlags,
  type IdentityConfig,
  readConfig,
} from './config.ts';
export type { Federation } from './federation.ts';
export {
  ENABLE_WI_IMAGE_PULL,
  GCP_SERVICE_ACCOUNT,
  type IdentityPlan,
  type PlanInput,
  planIdentity,
} from './identity.ts';
export { provider, provider as default, VERSION } from './provider.ts';
export { isGoogleRegistry, MATCH_IMAGES, REGISTRY_USERNAME } from './registry.ts';

/** The cloud as the framework sees it (core/adapter.ts): listed in adapters/index.ts. */
export const adapter: AdapterDescriptor = {
  name: 'gar',
  binary: 'credkit-gar',
  dropInFor: 'auth-provider-gcp',
  defaultArgs: ['get-credentials'],
  trustNotes,
  provider: async () => (await import('./provider.ts')).provider,
  testing: async () => (await import('./fake/scenario.ts')).testing,
};

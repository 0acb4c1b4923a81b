/**
 * credkit/gar: the Google Artifact Registry adapter. Public surface only; the fakes live in
 * `./fake/` (re-exported from credkit/testing) so the binary never loads them.
 */
export { GAR_FLAGS, type GarConfig, type GarFlags, readConfig } from './config.ts';
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

/**
 * credkit/gar: the Google Artifact Registry adapter. Public surface only; the fakes live in
 * `./fake.ts` (re-exported from credkit/testing) so the binary never loads them.
 */
export { type GarConfig, GAR_FLAGS, readConfig } from './config.ts';
export { ENABLE_WI_IMAGE_PULL, GCP_SERVICE_ACCOUNT, type IdentityPlan, planIdentity } from './identity.ts';
export { provider, VERSION } from './provider.ts';
export { isGoogleRegistry, MATCH_IMAGES, REGISTRY_USERNAME } from './registry.ts';
export { provider as default } from './provider.ts';

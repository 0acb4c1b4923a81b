/**
 * credkit/quay: the Quay adapter (quay.io and Red Hat Quay >= 3.13, robot account federation).
 * Public surface only; the strict fake lives in `./fake/` so the binary never loads it.
 */
export { QUAY_FLAGS, QUAY_IO, type QuayConfig, type QuayFlags, readConfig } from './config.ts';
export { checkRobotName, type PlanInput, planIdentity, ROBOT_ANNOTATION, type RobotPlan } from './identity.ts';
export { provider, provider as default, VERSION } from './provider.ts';
export { isQuayRegistry, MATCH_IMAGES } from './registry.ts';

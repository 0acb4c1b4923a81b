/**
 * credkit/quay: the Quay adapter (quay.io and Red Hat Quay >= 3.13, robot account federation). Its
 * public surface and its descriptor only; the binary is built from `./provider.ts`, and the strict
 * fake lives in `./fake/` (credkit/quay/fake), so it never loads it.
 */
import type { AdapterDescriptor } from '../../core/index.ts';
import { trustNotes } from './trust.ts';

export { QUAY_FLAGS, QUAY_IO, type QuayConfig, type QuayFlags, readConfig } from './config.ts';
export {
  checkRobotName,
  namesRobot,
  type PlanInput,
  planIdentity,
  ROBOT_ANNOTATION,
  type RobotPlan,
} from './identity.ts';
export { provider, provider as default, VERSION } from './provider.ts';
export { isQuayRegistry, MATCH_IMAGES } from './registry.ts';

/** Quay as the framework sees it (core/adapter.ts): listed in adapters/index.ts. */
export const adapter: AdapterDescriptor = {
  name: 'quay',
  binary: 'credkit-quay',
  // No upstream kubelet plugin exists for Quay, and quay.io needs no argument.
  defaultArgs: [],
  trustNotes,
  provider: async () => (await import('./provider.ts')).provider,
  testing: async () => (await import('./fake/scenario.ts')).testing,
};

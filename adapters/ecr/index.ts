/**
 * credkit/ecr: the Amazon ECR adapter. Its public surface and its descriptor only; the binary is
 * built from `./provider.ts`, and the fakes live in `./fake/` (credkit/ecr/fake), so it never loads them.
 * @packageDocumentation
 */
import type { AdapterDescriptor } from '../../core/index.ts';
import { trustNotes } from './trust.ts';

export { decodeAuthorizationToken } from './authorization.ts';
export { ROLE_ANNOTATION, ROLE_ENV, ROLE_SESSION_NAME, STS_AUDIENCE } from './config.ts';
export { chooseRole, type RoleChoice, type RoleOptions, type RoleSource } from './identity.ts';
export { provider, provider as default, VERSION } from './provider.ts';
export { ECR_MATCH_IMAGES, ECR_PUBLIC_HOSTS, ECR_PUBLIC_REGION, type EcrRegistry, parseEcrHost } from './registry.ts';

/** The cloud as the framework sees it (core/adapter.ts): listed in adapters/index.ts. */
export const adapter: AdapterDescriptor = {
  name: 'ecr',
  binary: 'credkit-ecr',
  dropInFor: 'ecr-credential-provider',
  defaultArgs: [],
  trustNotes,
  provider: async () => (await import('./provider.ts')).provider,
  testing: async () => (await import('./fake/scenario.ts')).testing,
};

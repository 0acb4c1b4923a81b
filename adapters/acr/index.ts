/**
 * credkit/acr: the Azure Container Registry adapter. Its public surface and its descriptor only;
 * the binary is built from `./provider.ts`, and the fakes live in `./fake/` (credkit/acr/fake), so
 * it never loads them.
 */
import type { AdapterDescriptor } from '../../core/index.ts';
import { trustNotes } from './trust.ts';

export { ACR_SCOPE } from './entra.ts';
export { CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION } from './identity.ts';
export { acrTargetOf, ENTRA_TOKEN_AUDIENCE, provider } from './provider.ts';
export { ACR_REFRESH_TOKEN_USERNAME } from './refresh-token.ts';
export { ACR_MATCH_IMAGES, type AcrTarget, isAcrHost } from './registry.ts';

/** The cloud as the framework sees it (core/adapter.ts): listed in adapters/index.ts. */
export const adapter: AdapterDescriptor = {
  name: 'acr',
  binary: 'credkit-acr',
  dropInFor: 'acr-credential-provider',
  defaultArgs: ['/etc/kubernetes/azure.json'],
  trustNotes,
  provider: async () => (await import('./provider.ts')).provider,
  testing: async () => (await import('./fake/scenario.ts')).testing,
};

/** credkit/acr: the Azure Container Registry adapter. Public surface only. */

export { ACR_SCOPE } from './entra.ts';
export { CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION } from './identity.ts';
export { acrTargetOf, ENTRA_TOKEN_AUDIENCE, provider } from './provider.ts';
export { ACR_REFRESH_TOKEN_USERNAME } from './refresh-token.ts';
export { ACR_MATCH_IMAGES, type AcrTarget, isAcrHost } from './registry.ts';

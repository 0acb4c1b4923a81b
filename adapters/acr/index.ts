/** credkit/acr: the Azure Container Registry adapter. Public surface only. */
export { ENTRA_TOKEN_AUDIENCE, acrTargetOf, provider } from './provider.ts';
export { CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION } from './identity.ts';
export { ACR_MATCH_IMAGES, isAcrHost } from './registry.ts';
export { ACR_REFRESH_TOKEN_USERNAME } from './exchange.ts';
export { ACR_SCOPE } from './entra.ts';

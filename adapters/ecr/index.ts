/**
 * credkit/ecr: the Amazon ECR adapter. Public surface only; the fakes live in `./fake/`
 * (re-exported from credkit/testing) so the binary never loads them.
 * @packageDocumentation
 */

export { decodeAuthorizationToken } from './authorization.ts';
export { ROLE_ANNOTATION, ROLE_ENV, ROLE_SESSION_NAME, STS_AUDIENCE } from './config.ts';
export { chooseRole, type RoleChoice } from './identity.ts';
export { provider, provider as default, VERSION } from './provider.ts';
export { ECR_MATCH_IMAGES, ECR_PUBLIC_HOSTS, ECR_PUBLIC_REGION, type EcrRegistry, parseEcrHost } from './registry.ts';

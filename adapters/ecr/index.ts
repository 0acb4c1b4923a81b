/**
 * credkit/ecr: the Amazon ECR adapter. Public surface only; the fakes live in `./fake.ts`
 * (re-exported from credkit/testing) so the binary never loads them.
 * @packageDocumentation
 */

export { decodeAuthorizationToken } from './authorization.ts';
export { chooseRole, ROLE_ANNOTATION, ROLE_ENV, ROLE_SESSION_NAME, type RoleChoice, STS_AUDIENCE } from './config.ts';
export { provider, provider as default, VERSION } from './provider.ts';
export { ECR_MATCH_IMAGES, ECR_PUBLIC_HOSTS, ECR_PUBLIC_REGION, type EcrRegistry, parseEcrHost } from './registry.ts';

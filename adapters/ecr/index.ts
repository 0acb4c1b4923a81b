/**
 * credkit/ecr: the AWS ECR adapter. Public surface only.
 * @packageDocumentation
 */

export { decodeAuthorizationToken } from './authorization.ts';
export { chooseRole, ROLE_ANNOTATION, ROLE_ENV, ROLE_SESSION_NAME, STS_AUDIENCE } from './config.ts';
export { provider } from './provider.ts';
export { ECR_MATCH_IMAGES, ECR_PUBLIC_HOSTS, ECR_PUBLIC_REGION, type EcrRegistry, parseEcrHost } from './registry.ts';

/**
 * credkit-ecr: a drop-in for kubernetes/cloud-provider-aws `ecr-credential-provider`. Same hosts,
 * env, annotation and (ignored) arguments; what differs is stated where it happens: non-ECR hosts get
 * no auth, the cache lasts as long as the token does (less a margin) instead of half of it, and
 * failures are one line with the fix.
 */

import { type Context, type Credential, defineProvider } from '../../core/index.ts';
import { getAuthorizationToken } from './authorization.ts';
import type { AwsContext } from './aws.ts';
import { ECR_FLAGS, ROLE_ANNOTATION, ROLE_ENV, STS_AUDIENCE, sessionDurationSeconds } from './config.ts';
import { exchangesToken, signingIdentity } from './identity.ts';
import { ECR_MATCH_IMAGES, parseEcrHost } from './registry.ts';

type EcrContext = Context<typeof ECR_FLAGS>;

/** The package version (kept by hand: importing package.json would put a copy of it into dist/lib). */
export const VERSION = '0.1.0';

const HELP = `
Registries: private ECR in every partition (<account>.dkr.ecr.<region>.amazonaws.com, FIPS, dual-stack,
.com.cn, .eu, ISO) and ECR Public (public.ecr.aws, ecr-public.aws.com). Other hosts get no credentials.

Node identity (no service account token): the AWS SDK default chain: AWS_ACCESS_KEY_ID/..., AWS_PROFILE
and ~/.aws, AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, container credentials, then IMDSv2
(AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED).

Service account token (kubelet tokenAttributes, audience ${STS_AUDIENCE}): STS AssumeRoleWithWebIdentity
for the role in annotation ${ROLE_ANNOTATION}, else env ${ROLE_ENV}, then GetAuthorizationToken.

Standard AWS env works: AWS_REGION, AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_ECR_PUBLIC, AWS_ENDPOINT_URL_STS,
AWS_STS_REGIONAL_ENDPOINTS, AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT, HTTPS_PROXY, NO_PROXY.
Positional arguments (get-credentials) are accepted and ignored, as upstream.`;

export const provider = defineProvider({
  name: 'credkit-ecr',
  version: VERSION,
  description: 'ECR credential provider for kubelet (credkit-ecr)',
  matchImages: ECR_MATCH_IMAGES,
  servesImage: (image) => parseEcrHost(image.host) !== undefined,
  audience: STS_AUDIENCE,
  annotations: { optional: [ROLE_ANNOTATION] },
  exchangesToken,
  cacheType: 'ServiceAccount',
  requireServiceAccount: false,
  cacheKeyType: 'Registry',
  flags: ECR_FLAGS,
  // ecr-credential-provider is a plain cobra command: -v is --version, -h is --help.
  logFlags: 'cobra',
  positionals: '[get-credentials]',
  help: HELP,
  getCredentials,
});

async function getCredentials(ctx: EcrContext): Promise<Credential | null> {
  const registry = parseEcrHost(ctx.image.host);
  if (!registry) return null;
  // Checked on every exec, so a bad value shows on the first pull, not on the first pod with a role.
  sessionDurationSeconds(ctx.flags['session-duration']);
  ctx.log.v(2).info(`Getting creds for ${registry.kind} image`, { image: ctx.image.name, region: registry.region });
  const aws: AwsContext = { http: ctx.http, signal: ctx.signal, log: ctx.log, env: ctx.env, now: ctx.now };
  const { credentials, principal } = await signingIdentity(ctx, aws, registry);
  const token = await getAuthorizationToken(aws, registry, credentials, principal);
  // Key: the image's host with its port (the core's default); username is what ECR says (AWS).
  const expiresAt = earliest(token.expiresAt, credentials.expiration);
  return { username: token.username, password: token.password, ...(expiresAt ? { expiresAt } : {}) };
}

/**
 * When the answer stops working: ECR says 12 hours (API reference, GetAuthorizationToken), but a
 * token obtained with temporary credentials has been seen to stop working when they expire (an
 * IRSA session's hour: GoogleContainerTools/kaniko#3199), and AWS documents neither way. So the
 * cache ends with whichever comes first; a longer session (--session-duration) lifts the bound.
 * Without an ECR expiry the answer is not cached at all (upstream: "0s"), whatever the session.
 */
function earliest(tokenExpiry: Date | undefined, sessionExpiry: Date | undefined): Date | undefined {
  if (!tokenExpiry) return undefined;
  return sessionExpiry && sessionExpiry < tokenExpiry ? sessionExpiry : tokenExpiry;
}

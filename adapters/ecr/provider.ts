/**
 * credkit-ecr: a drop-in for kubernetes/cloud-provider-aws `ecr-credential-provider`. Same hosts,
 * env, annotation and (ignored) arguments; what differs is stated where it happens: non-ECR hosts get
 * no auth, the cache lasts as long as the token does (less a margin) instead of half of it, and
 * failures are one line with the fix.
 */

import { type Context, type Credential, createHttp, defineProvider } from '../../core/index.ts';
import { getAuthorizationToken } from './authorization.ts';
import type { AwsContext } from './aws.ts';
import {
  awsSettings,
  ECR_FLAGS,
  IRSA_ROLE_ANNOTATION,
  ROLE_ANNOTATION,
  ROLE_ENV,
  STS_AUDIENCE,
  sessionDurationSeconds,
} from './config.ts';
import { exchangesToken, signingIdentity } from './identity.ts';
import { ECR_MATCH_IMAGES, registryFor } from './registry.ts';

type EcrContext = Context<typeof ECR_FLAGS>;

/** The package version (kept by hand: importing package.json would put a copy of it into dist/lib). */
export const VERSION = '0.1.0';

const HELP = `
Registries: private ECR in every partition (<account>.dkr.ecr.<region>.amazonaws.com, FIPS, dual-stack,
.com.cn, .eu, ISO) and ECR Public (public.ecr.aws, ecr-public.aws.com). Other hosts the kubelet sends
(matchImages) get a token of the default region (AWS_REGION, AWS_DEFAULT_REGION) as upstream, or none
when no region is set.

Node identity (no role named): the AWS SDK default chain: AWS_ACCESS_KEY_ID/..., AWS_PROFILE and ~/.aws,
AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, container credentials, then IMDSv2
(AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED).

Service account token (kubelet tokenAttributes, audience ${STS_AUDIENCE}): STS AssumeRoleWithWebIdentity
for the role in annotation ${ROLE_ANNOTATION} (with --irsa-role-annotation also ${IRSA_ROLE_ANNOTATION}),
else env ${ROLE_ENV}, then GetAuthorizationToken.

Standard AWS env works: AWS_REGION, AWS_ENDPOINT_URL[_ECR|_ECR_PUBLIC|_STS], AWS_STS_REGIONAL_ENDPOINTS,
AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT, AWS_CA_BUNDLE, AWS_MAX_ATTEMPTS, AWS_RETRY_MODE,
HTTPS_PROXY, NO_PROXY. Positional arguments (get-credentials) are accepted and ignored, as upstream.`;

export const provider = defineProvider({
  name: 'credkit-ecr',
  version: VERSION,
  description: 'ECR credential provider for kubelet (credkit-ecr)',
  matchImages: ECR_MATCH_IMAGES,
  servesImage: (image, { env }) => registryFor(image.host, env) !== undefined,
  audience: STS_AUDIENCE,
  // The kubelet forwards only the keys listed, so IRSA's is asked for only when it is used.
  annotations: ({ flags }) => ({
    optional: flags['irsa-role-annotation'] ? [ROLE_ANNOTATION, IRSA_ROLE_ANNOTATION] : [ROLE_ANNOTATION],
  }),
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
  const registry = registryFor(ctx.image.host, ctx.env);
  if (!registry) return null;
  if (registry.kind === 'private' && registry.outsidePattern) {
    // Upstream warns the same way ("No region found in the image reference").
    ctx.log.warn(
      `${ctx.image.host} is not an ECR registry host: using an ECR token of the default region ${registry.region}, as upstream; list only ECR hosts (or proxies in front of ECR) in matchImages`,
    );
  }
  // Checked on every exec, so a bad value shows on the first pull, not on the first pod with a role.
  sessionDurationSeconds(ctx.flags['session-duration']);
  ctx.log.v(2).info(`Getting creds for ${registry.kind} image`, { image: ctx.image.name, region: registry.region });
  const aws = awsContext(ctx);
  const { credentials, principal } = await signingIdentity(ctx, aws, registry);
  const token = await getAuthorizationToken(aws, registry, credentials, principal);
  // Key: the image's host with its port (the core's default); username is what ECR says (AWS).
  const expiresAt = earliest(token.expiresAt, credentials.expiration);
  return { username: token.username, password: token.password, ...(expiresAt ? { expiresAt } : {}) };
}

/**
 * What every AWS call of this exec shares: the exchange context, with AWS_MAX_ATTEMPTS as the
 * attempts and, with AWS_CA_BUNDLE, a transport that also trusts that bundle (as the Go SDK adds it
 * to the roots of every AWS client, instance metadata included).
 */
function awsContext(ctx: EcrContext): AwsContext {
  const settings = awsSettings(ctx.env);
  const http = settings.caBundle
    ? createHttp({ env: ctx.env, signal: ctx.signal, extraCAs: [{ file: settings.caBundle, source: 'AWS_CA_BUNDLE' }] })
    : ctx.http;
  return {
    http,
    signal: ctx.signal,
    log: ctx.log,
    env: ctx.env,
    now: ctx.now,
    ...(settings.attempts !== undefined ? { attempts: settings.attempts } : {}),
  };
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

/**
 * credkit-ecr: a drop-in for kubernetes/cloud-provider-aws `ecr-credential-provider`. Same hosts,
 * env, annotation and (ignored) arguments; what differs is stated where it happens: non-ECR hosts get
 * no auth, the cache lasts as long as the token does (less a margin) instead of half of it, and
 * failures are one line with the fix.
 */

import { type Context, type Credential, CredkitError, defineProvider } from '../../core/index.ts';
import pkg from '../../package.json' with { type: 'json' };
import { getAuthorizationToken } from './authorization.ts';
import { requestHandler } from './aws.ts';
import { checkRoleArn, chooseRole, ROLE_ANNOTATION, ROLE_ENV, STS_AUDIENCE } from './config.ts';
import { assumeRoleWithWebIdentity } from './exchange.ts';
import { nodeCredentials } from './node-identity.ts';
import { ECR_MATCH_IMAGES, type EcrRegistry, parseEcrHost } from './registry.ts';

const FLAGS = {
  'require-role': {
    type: 'boolean',
    description: `fail when a pod's token arrives but no role is named (${ROLE_ANNOTATION} or ${ROLE_ENV}); default: use the node's credentials, as upstream`,
  },
} as const;

type EcrContext = Context<typeof FLAGS>;

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
  name: 'ecr-credential-provider',
  version: pkg.version,
  description: 'ECR credential provider for kubelet (credkit-ecr)',
  matchImages: ECR_MATCH_IMAGES,
  servesImage: (image) => parseEcrHost(image.host) !== undefined,
  audience: STS_AUDIENCE,
  annotations: { optional: [ROLE_ANNOTATION] },
  cacheType: 'ServiceAccount',
  requireServiceAccount: false,
  cacheKeyType: 'Registry',
  flags: FLAGS,
  positionals: '[get-credentials]',
  help: HELP,
  getCredentials,
});

async function getCredentials(ctx: EcrContext): Promise<Credential | null> {
  const registry = parseEcrHost(ctx.image.host);
  if (!registry) return null;
  ctx.log.v(2).info(`Getting creds for ${registry.kind} image`, { image: ctx.image.name, region: registry.region });
  const handler = await requestHandler(ctx);
  const { credentials, principal } = await awsIdentity(ctx, registry, handler);
  const token = await getAuthorizationToken(ctx, registry, credentials, handler, principal);
  // Key: the image's host with its port (the core's default); username is what ECR says (AWS).
  return {
    username: token.username,
    password: token.password,
    ...(token.expiresAt ? { expiresAt: token.expiresAt } : {}),
  };
}

/** The pod's role when a token names one, else the node's credentials (upstream's decision table, §2.1). */
async function awsIdentity(
  ctx: EcrContext,
  registry: EcrRegistry,
  handler: Awaited<ReturnType<typeof requestHandler>>,
) {
  const serviceAccount = ctx.serviceAccount;
  if (serviceAccount) {
    const choice = chooseRole(serviceAccount.annotations, ctx.env);
    const subject = serviceAccount.identity.subject;
    if (choice.roleArn !== undefined) {
      checkRoleArn(choice.roleArn, choice.source, subject);
      const credentials = await assumeRoleWithWebIdentity(
        ctx,
        {
          roleArn: choice.roleArn,
          token: serviceAccount.token,
          subject,
          ...(serviceAccount.claims.iss ? { issuer: serviceAccount.claims.iss } : {}),
          region: stsRegion(ctx, registry),
        },
        handler,
      );
      return { credentials, principal: `role ${choice.roleArn} (for ${subject})` };
    }
    if (ctx.flags['require-role']) {
      throw new CredkitError(
        'usage',
        `service account ${subject} names no role (${choice.reason}): annotate it with ${ROLE_ANNOTATION}, set ${ROLE_ENV}, or drop --require-role`,
      );
    }
    // Upstream falls back silently (at info); said at the default verbosity so a missing annotation is visible.
    ctx.log.info(`service account token of ${subject} not used: ${choice.reason}; using the node's credentials`);
  }
  const node = await nodeCredentials(ctx, stsRegion(ctx, registry), handler);
  return { credentials: node.credentials, principal: `the node's credentials from ${node.source}` };
}

/**
 * The region for STS: the registry's own for private ECR (as upstream); for ECR Public, the node's
 * configured region, else us-east-1 (upstream leaves it to the SDK and fails when none is set).
 */
function stsRegion(ctx: EcrContext, registry: EcrRegistry): string {
  if (registry.kind === 'private') return registry.region;
  return ctx.env.AWS_REGION || ctx.env.AWS_DEFAULT_REGION || registry.region;
}

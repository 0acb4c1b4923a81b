/**
 * Which identity signs GetAuthorizationToken: the pod's role when its token names one, else the
 * node's credentials (upstream's decision table, research/aws-ecr.md §2.1).
 */
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Context, CredkitError } from '../../core/index.ts';
import type { AwsCredentials } from './aws.ts';
import { checkRoleArn, chooseRole, type ECR_FLAGS, ROLE_ANNOTATION, ROLE_ENV } from './config.ts';
import { assumeRoleWithWebIdentity } from './exchange.ts';
import { nodeCredentials } from './node-identity.ts';
import type { EcrRegistry } from './registry.ts';

export interface SigningIdentity {
  credentials: AwsCredentials;
  /** Who signs, for messages: never a secret. */
  principal: string;
}

type IdentityContext = Context<typeof ECR_FLAGS>;

export async function signingIdentity(
  ctx: IdentityContext,
  registry: EcrRegistry,
  handler: NodeHttpHandler,
): Promise<SigningIdentity> {
  const serviceAccount = ctx.serviceAccount;
  if (serviceAccount) {
    const choice = chooseRole(serviceAccount.annotations, ctx.env);
    const subject = serviceAccount.identity.subject;
    if (choice.roleArn !== undefined) {
      checkRoleArn(choice.roleArn, choice.source, subject);
      const web = {
        roleArn: choice.roleArn,
        token: serviceAccount.token,
        subject,
        ...(serviceAccount.claims.iss ? { issuer: serviceAccount.claims.iss } : {}),
        region: stsRegion(ctx, registry),
      };
      const credentials = await assumeRoleWithWebIdentity(ctx, web, handler);
      return { credentials, principal: `role ${choice.roleArn} (for ${subject})` };
    }
    if (ctx.flags['require-role']) {
      throw new CredkitError(
        'usage',
        `service account ${subject} names no role (${choice.reason}): annotate it with ${ROLE_ANNOTATION}, set ${ROLE_ENV}, or drop --require-role`,
      );
    }
    // Upstream logs this at info only; said at the default verbosity so a missing annotation shows.
    ctx.log.info(`service account token of ${subject} not used: ${choice.reason}; using the node's credentials`);
  }
  const node = await nodeCredentials(ctx, stsRegion(ctx, registry), handler);
  return { credentials: node.credentials, principal: `the node's credentials from ${node.source}` };
}

/**
 * The region for STS: the registry's own for private ECR (as upstream); for ECR Public, the node's
 * configured region, else us-east-1 (upstream leaves it to the SDK and fails when none is set).
 */
function stsRegion(ctx: Pick<Context, 'env'>, registry: EcrRegistry): string {
  if (registry.kind === 'private') return registry.region;
  return ctx.env.AWS_REGION || ctx.env.AWS_DEFAULT_REGION || registry.region;
}

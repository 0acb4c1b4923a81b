/**
 * Which identity signs GetAuthorizationToken: the pod's role when its token names one, else the
 * node's credentials (upstream's decision table, research/aws-ecr.md §2.1): the role choice, the
 * ARN check that saves a doomed STS call, and the dispatch to the pod or the node leg.
 */
import { type Context, CredkitError, type Env, quote, type RequestScope } from '../../core/index.ts';
import type { AwsContext, AwsCredentials } from './aws.ts';
import { type ECR_FLAGS, IRSA_ROLE_ANNOTATION, ROLE_ANNOTATION, ROLE_ENV, sessionDurationSeconds } from './config.ts';
import { assumeRoleWithWebIdentity } from './exchange.ts';
import { nodeCredentials } from './node.ts';
import type { EcrRegistry } from './registry.ts';

export interface SigningIdentity {
  credentials: AwsCredentials;
  /** Who signs, for messages: never a secret. */
  principal: string;
}

type IdentityContext = Context<typeof ECR_FLAGS>;

export async function signingIdentity(
  ctx: IdentityContext,
  aws: AwsContext,
  registry: EcrRegistry,
): Promise<SigningIdentity> {
  const serviceAccount = ctx.serviceAccount;
  if (serviceAccount) {
    const choice = chooseRole(serviceAccount.annotations, ctx.env, roleOptions(ctx.flags));
    const subject = serviceAccount.identity.subject;
    if (choice.roleArn !== undefined) {
      checkRoleArn(choice.roleArn, choice.source, subject);
      const durationSeconds = sessionDurationSeconds(ctx.flags['session-duration']);
      const web = {
        roleArn: choice.roleArn,
        token: serviceAccount.token,
        subject,
        ...(serviceAccount.claims.iss ? { issuer: serviceAccount.claims.iss } : {}),
        region: stsRegion(ctx, registry),
        ...(durationSeconds !== undefined ? { durationSeconds } : {}),
      };
      const credentials = await assumeRoleWithWebIdentity(aws, web);
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
  } else if (ctx.request.serviceAccountToken) {
    const choice = chooseRole(ctx.request.serviceAccountAnnotations ?? {}, ctx.env, roleOptions(ctx.flags));
    // Not exchanged, so not checked either (any audience, shape or expiry): the node answers.
    const reason = 'reason' in choice ? choice.reason : 'no role';
    ctx.log.info(`service account token not used: ${reason}; using the node's credentials`);
  }
  const node = await nodeCredentials(aws, stsRegion(ctx, registry));
  return { credentials: node.credentials, principal: `the node's credentials from ${node.source}` };
}

/**
 * Whether the pod's token is exchanged (so checked before any call): only when a role is named
 * (annotation, else AWS_ECR_ROLE_ARN), or when --require-role must refuse a token without one.
 * Otherwise upstream logs "no arn provided" and signs with the node's credentials (main.go).
 */
export function exchangesToken(scope: RequestScope<typeof ECR_FLAGS>): boolean {
  if (scope.flags['require-role']) return true;
  return (
    chooseRole(scope.request.serviceAccountAnnotations ?? {}, scope.env, roleOptions(scope.flags)).roleArn !== undefined
  );
}

function roleOptions(flags: Context<typeof ECR_FLAGS>['flags']): RoleOptions {
  return { irsa: flags['irsa-role-annotation'] === true };
}

/**
 * The region for STS: the registry's own for private ECR (as upstream); for ECR Public, the node's
 * configured region, else us-east-1 (upstream leaves it to the SDK and fails when none is set).
 */
function stsRegion(ctx: Pick<Context, 'env'>, registry: EcrRegistry): string {
  if (registry.kind === 'private') return registry.region;
  return ctx.env.AWS_REGION || ctx.env.AWS_DEFAULT_REGION || registry.region;
}

/** IAM role ARNs in any partition (`arn:aws:`, `arn:aws-cn:`, `arn:aws-iso-b:`...), paths allowed. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** Where a role came from: upstream's annotation, IRSA's (with --irsa-role-annotation), or the env. */
export type RoleSource = 'annotation' | 'irsa-annotation' | 'env';

export type RoleChoice = { roleArn: string; source: RoleSource } | { roleArn?: undefined; reason: string };

export interface RoleOptions {
  /** --irsa-role-annotation: IRSA's `eks.amazonaws.com/role-arn` names the role when upstream's key is absent. */
  irsa?: boolean;
}

/**
 * The role for a request carrying a service account token. Upstream's table, row for row:
 * annotation key present (even empty) wins over the env var; an empty or missing ARN means "no role".
 * With --irsa-role-annotation (off by default: system pods carry IRSA annotations and upstream keeps
 * them on the node role, research/aws-ecr.md §2.1), IRSA's key comes between the two when it is set
 * (cloud-provider-aws#1264): upstream's key still wins, even empty; an empty IRSA value names nothing.
 */
export function chooseRole(annotations: Record<string, string>, env: Env, options: RoleOptions = {}): RoleChoice {
  if (Object.hasOwn(annotations, ROLE_ANNOTATION)) {
    const value = annotations[ROLE_ANNOTATION]?.trim() ?? '';
    return value ? { roleArn: value, source: 'annotation' } : { reason: `annotation ${ROLE_ANNOTATION} is empty` };
  }
  const irsa =
    options.irsa && Object.hasOwn(annotations, IRSA_ROLE_ANNOTATION) ? annotations[IRSA_ROLE_ANNOTATION] : '';
  if (irsa?.trim()) return { roleArn: irsa.trim(), source: 'irsa-annotation' };
  const fromEnv = env[ROLE_ENV]?.trim() ?? '';
  if (fromEnv) return { roleArn: fromEnv, source: 'env' };
  const keys = options.irsa ? `${ROLE_ANNOTATION} or ${IRSA_ROLE_ANNOTATION}` : ROLE_ANNOTATION;
  return { reason: `no annotation ${keys} and no ${ROLE_ENV}` };
}

/** Refuses a malformed ARN before any network call; STS would only say "ValidationError". */
export function checkRoleArn(roleArn: string, source: RoleSource, subject: string): void {
  if (ROLE_ARN.test(roleArn)) return;
  const where =
    source === 'env'
      ? `env ${ROLE_ENV}`
      : `annotation ${source === 'annotation' ? ROLE_ANNOTATION : IRSA_ROLE_ANNOTATION} of ${subject}`;
  throw new CredkitError(
    'usage',
    `${where} is ${quote(roleArn)}, not an IAM role ARN: use arn:aws:iam::<account>:role/<name>`,
  );
}

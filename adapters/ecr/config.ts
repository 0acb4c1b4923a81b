/**
 * What an exec is asked to do, from the request and the environment: which role (if any) the pod's
 * token is exchanged for. The rules are upstream's (research/aws-ecr.md §2.1), so EKS node configs
 * and service account annotations keep working unchanged.
 */
import { CredkitError, type Env } from '../../core/index.ts';

/** The pod's service account annotation naming the role to assume (not IRSA's `role-arn`, on purpose: §2.1). */
export const ROLE_ANNOTATION = 'eks.amazonaws.com/ecr-role-arn';
/** The node-wide fallback role, when the annotation key is absent. */
export const ROLE_ENV = 'AWS_ECR_ROLE_ARN';
/** The audience every AWS sample configures, and the IAM OIDC provider's client id. */
export const STS_AUDIENCE = 'sts.amazonaws.com';
/** Upstream's session name; role trust policies and CloudTrail queries may rely on it. */
export const ROLE_SESSION_NAME = 'ecr-credential-provider';

/** credkit-ecr's own flag; upstream has none, so no upstream config carries it. */
export const ECR_FLAGS = {
  'require-role': {
    type: 'boolean',
    description: `fail when a pod's token arrives but no role is named (${ROLE_ANNOTATION} or ${ROLE_ENV}); default: use the node's credentials, as upstream`,
  },
} as const;

/** IAM role ARNs in any partition (`arn:aws:`, `arn:aws-cn:`, `arn:aws-iso-b:`...), paths allowed. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

export type RoleChoice = { roleArn: string; source: 'annotation' | 'env' } | { roleArn?: undefined; reason: string };

/**
 * The role for a request carrying a service account token. Upstream's table, row for row:
 * annotation key present (even empty) wins over the env var; an empty or missing ARN means "no role".
 */
export function chooseRole(annotations: Record<string, string>, env: Env): RoleChoice {
  if (ROLE_ANNOTATION in annotations) {
    const value = annotations[ROLE_ANNOTATION]?.trim() ?? '';
    return value ? { roleArn: value, source: 'annotation' } : { reason: `annotation ${ROLE_ANNOTATION} is empty` };
  }
  const fromEnv = env[ROLE_ENV]?.trim() ?? '';
  if (fromEnv) return { roleArn: fromEnv, source: 'env' };
  return { reason: `no annotation ${ROLE_ANNOTATION} and no ${ROLE_ENV}` };
}

/** Refuses a malformed ARN before any network call; STS would only say "ValidationError". */
export function checkRoleArn(roleArn: string, source: 'annotation' | 'env', subject: string): void {
  if (ROLE_ARN.test(roleArn)) return;
  const where = source === 'annotation' ? `annotation ${ROLE_ANNOTATION} of ${subject}` : `env ${ROLE_ENV}`;
  throw new CredkitError(
    'usage',
    `${where} is ${JSON.stringify(roleArn)}, not an IAM role ARN: use arn:aws:iam::<account>:role/<name>`,
  );
}

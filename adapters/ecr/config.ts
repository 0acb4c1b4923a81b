/**
 * The names credkit-ecr shares with upstream and AWS (annotation, env vars, audience, session name)
 * and its own command-line flags. Kept upstream's (research/aws-ecr.md §2.1), so EKS node configs and
 * service account annotations keep working unchanged.
 */

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

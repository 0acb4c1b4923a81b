/**
 * The names credkit-ecr shares with upstream and AWS (annotation, env vars, audience, session name)
 * and its own command-line flags. Kept upstream's (research/aws-ecr.md §2.1), so EKS node configs and
 * service account annotations keep working unchanged.
 */
import { CredkitError, formatSeconds, parseDurationMs } from '../../core/index.ts';

/** The pod's service account annotation naming the role to assume (not IRSA's `role-arn`, on purpose: §2.1). */
export const ROLE_ANNOTATION = 'eks.amazonaws.com/ecr-role-arn';
/** IRSA's annotation; names the role only with --irsa-role-annotation (cloud-provider-aws#1264). */
export const IRSA_ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';
/** The node-wide fallback role, when the annotation key is absent. */
export const ROLE_ENV = 'AWS_ECR_ROLE_ARN';
/** The audience every AWS sample configures, and the IAM OIDC provider's client id. */
export const STS_AUDIENCE = 'sts.amazonaws.com';
/** Upstream's session name; role trust policies and CloudTrail queries may rely on it. */
export const ROLE_SESSION_NAME = 'ecr-credential-provider';

/** STS's bounds for AssumeRoleWithWebIdentity DurationSeconds (STS API reference). */
export const MIN_SESSION_SECONDS = 900;
export const MAX_SESSION_SECONDS = 43_200;

/** credkit-ecr's own flags; upstream has none, so no upstream config carries them. */
export const ECR_FLAGS = {
  'require-role': {
    type: 'boolean',
    description: `fail when a pod's token arrives but no role is named (${ROLE_ANNOTATION} or ${ROLE_ENV}); default: use the node's credentials, as upstream`,
  },
  'irsa-role-annotation': {
    type: 'boolean',
    description: `also take the role from IRSA's ${IRSA_ROLE_ANNOTATION} when ${ROLE_ANNOTATION} is absent (before ${ROLE_ENV}); off by default, as upstream, so pods with IRSA annotations keep pulling as the node`,
  },
  'session-duration': {
    type: 'string',
    description:
      "how long the pod's role session lasts (STS DurationSeconds), 15m to 12h and at most the role's MaxSessionDuration; the answer is cached that long less 5m. Default: STS's 1h, as upstream. A role that allows less gets its default, said at --v=1",
  },
} as const;

/**
 * `--session-duration` in whole seconds, or undefined for STS's default (no DurationSeconds sent,
 * as upstream). Why the default stays 1 h: every role allows it (MaxSessionDuration starts at 1 h),
 * so the exchange is one round trip; a longer session means fewer execs (the kubelet caches the
 * answer per service account for that long) but a credential that outlives its pod by as much.
 */
export function sessionDurationSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDurationMs(value);
  } catch {
    ms = Number.NaN;
  }
  const seconds = ms / 1000;
  if (!Number.isInteger(seconds) || seconds < MIN_SESSION_SECONDS || seconds > MAX_SESSION_SECONDS) {
    throw new CredkitError(
      'usage',
      `--session-duration ${JSON.stringify(value)} is not a session STS grants: use whole seconds from ${formatSeconds(MIN_SESSION_SECONDS)} to ${formatSeconds(MAX_SESSION_SECONDS)}, e.g. 12h`,
    );
  }
  return seconds;
}

/** The AWS SDKs' retry settings and CA bundle, as they apply to credkit's own AWS calls. */
export interface AwsSettings {
  /** AWS_MAX_ATTEMPTS: attempts per call, including the first; undefined keeps the core's 5. */
  attempts?: number;
  /** AWS_CA_BUNDLE: a PEM file trusted for AWS calls, besides the system roots and NODE_EXTRA_CA_CERTS. */
  caBundle?: string;
}

/** AWS_RETRY_MODE values: the SDKs' `standard` and `adaptive`, and botocore's `legacy`. */
const RETRY_MODES = ['standard', 'adaptive', 'legacy'];

/**
 * The SDK environment variables upstream's Go SDK honours for every call (research/aws-ecr.md §1.1),
 * mapped onto the exchange layer: AWS_MAX_ATTEMPTS is the attempts of each STS, ECR and ECR Public
 * call; AWS_RETRY_MODE is accepted and checked as the Go SDK checks it, and changes nothing, because
 * there is one retry rule (jittered backoff, Retry-After, within the deadline): `adaptive` adds a
 * client-side rate limiter, which cannot act across execs that each make one call per service.
 * A malformed value is a configuration error (exit 2), as it is for the Go SDK's LoadDefaultConfig.
 */
export function awsSettings(env: Record<string, string | undefined>): AwsSettings {
  const mode = env.AWS_RETRY_MODE;
  if (mode !== undefined && mode !== '' && !RETRY_MODES.includes(mode.toLowerCase())) {
    throw new CredkitError(
      'usage',
      `AWS_RETRY_MODE is ${JSON.stringify(mode)}: use ${RETRY_MODES.join(', ')} (or unset it)`,
    );
  }
  const text = env.AWS_MAX_ATTEMPTS;
  let attempts: number | undefined;
  if (text !== undefined && text !== '') {
    attempts = Number(text);
    if (!/^\d+$/.test(text.trim()) || attempts < 1) {
      throw new CredkitError(
        'usage',
        `AWS_MAX_ATTEMPTS is ${JSON.stringify(text)}: use a whole number of attempts, 1 or more (1: no retries)`,
      );
    }
  }
  return {
    ...(attempts !== undefined ? { attempts } : {}),
    ...(env.AWS_CA_BUNDLE ? { caBundle: env.AWS_CA_BUNDLE } : {}),
  };
}

/**
 * The pod's identity: its service account token, exchanged with STS AssumeRoleWithWebIdentity for
 * the role its annotation names (KEP-4412; research/aws-ecr.md §2.1, wire shape §5.3). STS, not the
 * node, verifies the token (signature against the cluster's OIDC provider, `aud`, `sub` in the
 * role's trust policy), so its refusals are the operator's to fix and name the role and subject.
 */
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Context, CredkitError, type ErrorKind } from '../../core/index.ts';
import { type AwsCredentials, describeSdkError, errorCode, retrying, sdkFailure, stsClientConfig } from './aws.ts';
import { ROLE_SESSION_NAME } from './config.ts';

export interface WebIdentity {
  roleArn: string;
  token: string;
  /** `system:serviceaccount:<namespace>:<name>`, for messages. */
  subject: string;
  /** The token's issuer, for messages (the IAM OIDC provider that must exist). */
  issuer?: string;
  region: string;
}

export async function assumeRoleWithWebIdentity(
  ctx: Pick<Context, 'env' | 'log' | 'signal'>,
  identity: WebIdentity,
  handler: NodeHttpHandler,
): Promise<AwsCredentials> {
  const { STSClient, AssumeRoleWithWebIdentityCommand } = await import('@aws-sdk/client-sts');
  // One attempt per send: retries are the core's, inside the exec's deadline.
  const sts = new STSClient({ ...stsClientConfig(ctx.env, identity.region, handler), maxAttempts: 1 });
  const command = new AssumeRoleWithWebIdentityCommand({
    RoleArn: identity.roleArn,
    RoleSessionName: ROLE_SESSION_NAME,
    WebIdentityToken: identity.token,
  });
  const output = await retrying(ctx, 'STS AssumeRoleWithWebIdentity', () =>
    sts.send(command, { abortSignal: ctx.signal }),
  ).catch((error: unknown) => {
    throw describeStsError(error, identity);
  });
  const credentials = output.Credentials;
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
    throw new CredkitError(
      'unavailable',
      `STS AssumeRoleWithWebIdentity for role ${identity.roleArn} returned no credentials`,
    );
  }
  ctx.log.redactor.add(credentials.SecretAccessKey, credentials.SessionToken);
  ctx.log.v(2).info('assumed role with the service account token', {
    role: identity.roleArn,
    subject: identity.subject,
    expiration: credentials.Expiration?.toISOString(),
  });
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
    ...(credentials.Expiration ? { expiration: credentials.Expiration } : {}),
  };
}

/**
 * STS error codes (§5.3) mapped to the error kind and the fix an operator needs. Keyed without the
 * `Exception` suffix: the wire says `InvalidIdentityToken`, the JS SDK names it `InvalidIdentityTokenException`.
 */
const STS_FIXES: Record<string, [ErrorKind, (id: WebIdentity) => string]> = {
  AccessDenied: [
    'denied',
    (id) =>
      `allow ${id.subject} in the trust policy of ${id.roleArn} (sts:AssumeRoleWithWebIdentity, condition on the :sub and :aud claims)`,
  ],
  InvalidIdentityToken: [
    'denied',
    (id) =>
      `create an IAM OIDC identity provider for ${id.issuer ?? "the cluster's service account issuer"} with audience sts.amazonaws.com`,
  ],
  IDPRejectedClaim: ['denied', (id) => `check the claims the trust policy of ${id.roleArn} requires`],
  ExpiredToken: ['token', () => "check the node clock and the kubelet's token refresh"],
  ValidationError: ['usage', () => 'fix the role ARN in the annotation or AWS_ECR_ROLE_ARN'],
  RegionDisabled: [
    'usage',
    (id) => `activate STS in ${id.region} (IAM account settings) or set AWS_STS_REGIONAL_ENDPOINTS=legacy`,
  ],
};

/**
 * Upstream says `failed to assume role: <err>`; credkit keeps that opening and adds who asked for
 * which role and the fix. The token itself is never part of the message.
 */
export function describeStsError(error: unknown, identity: WebIdentity): CredkitError {
  const code = errorCode(error);
  const what = `failed to assume role ${identity.roleArn} for ${identity.subject}`;
  const fix = STS_FIXES[code.replace(/Exception$/, '')];
  if (!fix) return sdkFailure(error, 'denied', what);
  const [kind, howTo] = fix;
  return new CredkitError(kind, `${what}: ${describeSdkError(error)}: ${howTo(identity)}`, { cause: error });
}

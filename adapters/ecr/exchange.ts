/**
 * The pod-token leg: the pod's service account token, exchanged with STS AssumeRoleWithWebIdentity
 * for the role its annotation names (KEP-4412; research/aws-ecr.md §2.1, wire shape §5.3); the
 * session then signs GetAuthorizationToken (authorization.ts). STS, not the node, verifies the token
 * (signature against the cluster's OIDC provider, `aud`, `sub` in the role's trust policy), so its
 * refusals are the operator's to fix and name the role and subject.
 *
 * The call is unsigned (the token is the proof), awsQuery in, XML out, read with the SDK's own XML
 * parser (`@aws-sdk/xml-builder`).
 */
import { parseXML } from '@aws-sdk/xml-builder';
import * as z from 'zod/mini';
import { CredkitError, type ErrorKind, formatSeconds, type Refusal } from '../../core/index.ts';
import {
  type AwsContext,
  type AwsCredentials,
  awsErrorOf,
  awsExchange,
  describeRefusal,
  refusalKind,
  stripException,
} from './aws.ts';
import { ROLE_SESSION_NAME } from './config.ts';
import { endpointSettings, resolveEndpoint } from './endpoints.ts';

export interface WebIdentity {
  roleArn: string;
  token: string;
  /** `system:serviceaccount:<namespace>:<name>`, for messages. */
  subject: string;
  /** The token's issuer, for messages (the IAM OIDC provider that must exist). */
  issuer?: string;
  region: string;
  /** `--session-duration`: DurationSeconds; undefined sends none (STS's 1 h, as upstream). */
  durationSeconds?: number;
}

const credentials = z.object({
  AccessKeyId: z.string().check(z.minLength(1)),
  SecretAccessKey: z.string().check(z.minLength(1)),
  SessionToken: z.string().check(z.minLength(1)),
  Expiration: z.optional(z.string()),
});
const answer = z.object({
  AssumeRoleWithWebIdentityResponse: z.object({
    AssumeRoleWithWebIdentityResult: z.object({ Credentials: credentials }),
  }),
});

/**
 * AssumeRoleWithWebIdentity for the pod's role. When `--session-duration` asks for more than the
 * role's MaxSessionDuration, STS refuses with a ValidationError; the call is then made once more
 * without DurationSeconds (STS's 1 h), so a role that allows less still pulls, and --v=1 says why.
 */
export async function assumeRoleWithWebIdentity(ctx: AwsContext, identity: WebIdentity): Promise<AwsCredentials> {
  try {
    return await assumeRole(ctx, identity);
  } catch (error) {
    if (!(error instanceof SessionTooLong) || identity.durationSeconds === undefined) throw error;
    ctx.log
      .v(1)
      .info(
        `role ${identity.roleArn} allows no ${formatSeconds(identity.durationSeconds)} session (STS: DurationSeconds exceeds its MaxSessionDuration): assuming it for STS's default 1h instead; raise the role's MaxSessionDuration or lower --session-duration`,
      );
    const { durationSeconds: _, ...withoutDuration } = identity;
    return assumeRole(ctx, withoutDuration);
  }
}

async function assumeRole(ctx: AwsContext, identity: WebIdentity): Promise<AwsCredentials> {
  const endpoint = resolveEndpoint('sts', identity.region, endpointSettings(ctx.env, 'sts'));
  const params = {
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: identity.roleArn,
    RoleSessionName: ROLE_SESSION_NAME,
    WebIdentityToken: identity.token,
    ...(identity.durationSeconds !== undefined ? { DurationSeconds: String(identity.durationSeconds) } : {}),
  };
  const result = await awsExchange(ctx, {
    // Names the service in transport faults and the deadline; refusals open with upstream's words.
    what: 'STS AssumeRoleWithWebIdentity',
    url: `${endpoint.url}/`,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: awsQueryBody(params),
    schema: answer,
    parse: (text) => parseXML(text),
    refused: (refusal) => describeStsRefusal(refusal, identity),
  });
  const session = result.AssumeRoleWithWebIdentityResponse.AssumeRoleWithWebIdentityResult.Credentials;
  ctx.log.redactor.add(session.SecretAccessKey, session.SessionToken);
  const expiration = session.Expiration ? new Date(session.Expiration) : undefined;
  ctx.log.v(2).info('assumed role with the service account token', {
    role: identity.roleArn,
    subject: identity.subject,
    expiration: expiration?.toISOString(),
  });
  return {
    accessKeyId: session.AccessKeyId,
    secretAccessKey: session.SecretAccessKey,
    sessionToken: session.SessionToken,
    ...(expiration && !Number.isNaN(expiration.getTime()) ? { expiration } : {}),
  };
}

/** An awsQuery body as the SDK writes it: RFC 3986 encoding (`encodeURIComponent` plus `!'()*`). */
function awsQueryBody(params: Record<string, string>): string {
  const encode = (text: string) =>
    encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.entries(params)
    .map(([key, value]) => `${encode(key)}=${encode(value)}`)
    .join('&');
}

/**
 * STS error codes (§5.3) mapped to the error kind and the fix an operator needs. Keyed without the
 * `Exception` suffix: the wire says `ExpiredTokenException` for one and `InvalidIdentityToken` for another.
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
export function describeStsRefusal(refusal: Refusal, identity: WebIdentity): CredkitError {
  const what = `failed to assume role ${identity.roleArn} for ${identity.subject}`;
  const error = awsErrorOf(refusal.text, refusal.headers);
  if (error?.code === 'ValidationError' && SESSION_TOO_LONG.test(error.message)) {
    const asked = identity.durationSeconds === undefined ? '' : ` (${formatSeconds(identity.durationSeconds)})`;
    return new SessionTooLong(
      `${what}: ${describeRefusal(refusal)}: lower --session-duration${asked} or raise the role's MaxSessionDuration`,
    );
  }
  const fix = error ? STS_FIXES[stripException(error.code)] : undefined;
  const kind = refusalKind(refusal, fix?.[0] ?? 'denied');
  const tail = fix && kind !== 'unavailable' ? `: ${fix[1](identity)}` : '';
  return new CredkitError(kind, `${what}: ${describeRefusal(refusal)}${tail}`);
}

/** STS's words when DurationSeconds is over the role's MaxSessionDuration. */
const SESSION_TOO_LONG = /DurationSeconds exceeds the MaxSessionDuration/i;

/** The role allows a shorter session than --session-duration asked for. */
class SessionTooLong extends CredkitError {
  constructor(message: string) {
    super('usage', message);
  }
}

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
import { CredkitError, type ErrorKind, type Refusal } from '../../core/index.ts';
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

export async function assumeRoleWithWebIdentity(ctx: AwsContext, identity: WebIdentity): Promise<AwsCredentials> {
  const endpoint = resolveEndpoint('sts', identity.region, endpointSettings(ctx.env, 'sts'));
  const params = {
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: identity.roleArn,
    RoleSessionName: ROLE_SESSION_NAME,
    WebIdentityToken: identity.token,
  };
  const result = await awsExchange(ctx, {
    what: `failed to assume role ${identity.roleArn} for ${identity.subject}`,
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
  const code = awsErrorOf(refusal.text, refusal.headers)?.code;
  const fix = code ? STS_FIXES[stripException(code)] : undefined;
  const kind = refusalKind(refusal, fix?.[0] ?? 'denied');
  const tail = fix && kind !== 'unavailable' ? `: ${fix[1](identity)}` : '';
  return new CredkitError(kind, `${what}: ${describeRefusal(refusal)}${tail}`);
}

/**
 * The pod's identity: its service account token exchanged at Google STS for a federated access
 * token (RFC 8693), then, when a Google service account is named, IAM Credentials
 * `generateAccessToken` for it (research/gcp-gar.md §5.2, §5.3, GKE's three-leg pattern).
 *
 * Written against the wire protocol instead of google-auth-library's IdentityPoolClient, which the
 * issue allows ("or equivalent"): its StsCredentials builds its own gaxios transport (so the core's
 * proxy/CA agent never reaches the STS call), gaxios under Bun drops custom agents, and gaxios
 * retries would stack on the deadline-aware ones here. Each exec is one process with one token and
 * no client cache, so identities cannot mix (the library's cached token is the trap §5.4 names).
 */
import * as z from 'zod/mini';
import { CredkitError, type ExchangeContext, exchange } from '../../core/index.ts';
import type { Federation } from './federation.ts';
import { googleErrorReason, googleRefusal } from './refusal.ts';

export interface AccessToken {
  accessToken: string;
  /** Undefined when Google did not say: the answer is then not cached. */
  expiresAt?: Date;
}

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const USER_AGENT = 'credkit-gar';

const stsAnswerSchema = z.object({
  access_token: z.string().check(z.minLength(1)),
  expires_in: z.optional(z.number().check(z.positive())),
  issued_token_type: z.optional(z.string()),
  token_type: z.optional(z.string()),
});

const generateAccessTokenSchema = z.object({
  accessToken: z.string().check(z.minLength(1)),
  expireTime: z.iso.datetime({ offset: true }),
});

export interface Exchange {
  federation: Federation;
  subjectToken: string;
  /** `system:serviceaccount:<ns>:<name>`, for messages. */
  subject: string;
  impersonate?: string;
  now(): number;
}

export async function exchangeServiceAccountToken(ctx: ExchangeContext, input: Exchange): Promise<AccessToken> {
  const federated = await stsExchange(ctx, input);
  ctx.log.redactor.add(federated.accessToken);
  if (!input.impersonate) return federated;
  return generateAccessToken(ctx, input, input.impersonate, federated.accessToken);
}

/** POST /v1/token, form-encoded as RFC 8693 (and google-auth-library) send it. */
async function stsExchange(ctx: ExchangeContext, input: Exchange): Promise<AccessToken> {
  const { federation, subject } = input;
  const body = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    audience: federation.stsAudience,
    scope: CLOUD_PLATFORM,
    requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    subject_token: input.subjectToken,
    subject_token_type: federation.subjectTokenType,
  });
  const answer = await exchange(ctx, {
    what: 'STS',
    url: federation.tokenUrl,
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': USER_AGENT },
    body: body.toString(),
    schema: stsAnswerSchema,
    reason: googleErrorReason,
    refused: (refusal) =>
      googleRefusal(
        'STS',
        federation.tokenUrl,
        refusal,
        (status, reason) =>
          new CredkitError(
            'denied',
            `STS refused the token of ${subject} for audience ${federation.stsAudience} (${status} ${reason}): ` +
              "check the pool provider's issuer and allowed audiences, and the token's audience " +
              `(tokenAttributes.serviceAccountTokenAudience ${federation.tokenAudience})`,
          ),
      ),
  });
  ctx.log.v(2).info('federated token from STS', { subject, expiresIn: answer.expires_in });
  return {
    accessToken: answer.access_token,
    ...(answer.expires_in ? { expiresAt: new Date(input.now() + answer.expires_in * 1000) } : {}),
  };
}

/** POST .../serviceAccounts/EMAIL:generateAccessToken; the email was checked, the host is fixed. */
async function generateAccessToken(
  ctx: ExchangeContext,
  input: Exchange,
  email: string,
  federatedToken: string,
): Promise<AccessToken> {
  const { federation, subject } = input;
  const url = `${federation.iamCredentialsUrl}/v1/projects/-/serviceAccounts/${email}:generateAccessToken`;
  const answer = await exchange(ctx, {
    what: 'IAM Credentials',
    url,
    method: 'POST',
    headers: {
      Authorization: `Bearer ${federatedToken}`,
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
    },
    body: JSON.stringify({ scope: [CLOUD_PLATFORM], lifetime: `${federation.lifetimeSeconds}s` }),
    schema: generateAccessTokenSchema,
    reason: googleErrorReason,
    refused: (refusal) =>
      googleRefusal(
        'IAM Credentials',
        url,
        refusal,
        (status, reason) =>
          new CredkitError(
            'denied',
            `IAM Credentials refused to let ${subject} act as ${email} (${status} ${reason}): grant ` +
              `roles/iam.workloadIdentityUser on ${email} to the pool's principal for ${subject}`,
          ),
      ),
  });
  ctx.log.v(2).info('access token for the Google service account', { subject, serviceAccount: email });
  return { accessToken: answer.accessToken, expiresAt: new Date(answer.expireTime) };
}

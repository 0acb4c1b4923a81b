/**
 * Entra ID access tokens for ACR by client credentials, the request both legs make: the pod's
 * service account token as a client assertion (exchange.ts) or the azure.json service principal's
 * secret (node.ts). This is the request MSAL's ClientAssertionCredential and ClientSecretCredential
 * make, written directly so it costs one round trip on every authority: MSAL fetches the tenant's
 * OpenID configuration first on any authority it has no built-in metadata for (sovereign and
 * custom clouds), and loading it would slow every exec's start.
 */
import * as z from 'zod/mini';
import { CredkitError, type ExchangeContext, exchange, isRetryableStatus } from '../../core/index.ts';

/** One scope for every cloud since cloud-provider-azure#8593 (works with authentication-as-arm disabled). */
export const ACR_SCOPE = 'https://containerregistry.azure.net/.default';

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };

/** A form body without the fields that are not set (an optional tenant, say). */
export function formBody(fields: Record<string, string | undefined>): string {
  const entries = Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return new URLSearchParams(entries).toString();
}

const tokenSchema = z.object({ access_token: z.string().check(z.minLength(1)) });

export interface EntraTokenRequest {
  tenantId: string;
  clientId: string;
  /** The client's proof: `client_assertion` (+ type) or `client_secret`. */
  credential: Record<string, string>;
  /** Who asks, for messages: `client <id> in tenant <t> for <subject>`. */
  who: string;
  /** The fix for an AADSTS code, as `: <fix>`, or ''. */
  fix(code: number | undefined): string;
}

export async function entraToken(
  ctx: ExchangeContext,
  authorityHost: string,
  request: EntraTokenRequest,
): Promise<string> {
  const url = `${authorityHost}/${encodeURIComponent(request.tenantId)}/oauth2/v2.0/token`;
  const answer = await exchange(ctx, {
    what: 'the Entra ID token request',
    url,
    method: 'POST',
    headers: FORM_HEADERS,
    body: formBody({
      grant_type: 'client_credentials',
      client_id: request.clientId,
      scope: ACR_SCOPE,
      ...request.credential,
    }),
    schema: tokenSchema,
    reason: (text) => aadstsText(jsonObject(text))?.replace(/\.$/, ''),
    refused: ({ status, text, reason }) =>
      isRetryableStatus(status)
        ? new CredkitError(
            'unavailable',
            `Entra ID (${new URL(url).host}) kept answering ${status} for ${request.who}, even after retries: try again later`,
          )
        : new CredkitError(
            'denied',
            `Entra ID refused ${request.who}: ${reason}${request.fix(aadstsCode(jsonObject(text)))}`,
          ),
  });
  ctx.log.redactor.add(answer.access_token);
  return answer.access_token;
}

type Body = Record<string, unknown> | undefined;

/** A JSON object, or undefined when the server sent something else (an HTML error page, a proxy's text). */
export function jsonObject(text: string): Body {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Entra's `error_description` runs over several lines ("AADSTS70021: ...\r\nTrace ID: ...");
 * the first line is the part an operator acts on.
 */
export function aadstsText(body: Body): string | undefined {
  const description = typeof body?.error_description === 'string' ? body.error_description : undefined;
  const error = typeof body?.error === 'string' ? body.error : undefined;
  const first = description?.split(/\r?\n|\s+Trace ID:/)[0]?.trim();
  return first || error;
}

function aadstsCode(body: Body): number | undefined {
  const codes = body?.error_codes;
  if (Array.isArray(codes) && typeof codes[0] === 'number') return codes[0];
  const match = typeof body?.error_description === 'string' ? /AADSTS(\d+)/.exec(body.error_description) : null;
  return match ? Number(match[1]) : undefined;
}

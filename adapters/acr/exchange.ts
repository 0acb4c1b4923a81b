/**
 * Entra access token -> ACR refresh token: `POST https://<realm host>/oauth2/exchange`
 * (Azure/acr docs/AAD-OAuth.md; research/azure-acr.md §1.8, §5.4). No Azure SDK exports this call,
 * so it is written here, small and strict. We send the documented `grant_type=access_token`; upstream
 * still sends the deprecated `access_token_refresh_token` with the token twice (Azure/acr#408 shows
 * the documented form working where the other did not).
 */
import { decodeJwt } from 'jose';
import { CredkitError } from '../../core/index.ts';
import { type CallContext, call, FORM_HEADERS, formBody, jsonBody } from './call.ts';
import type { Challenge } from './challenge.ts';

/** Username ACR expects with a refresh token (upstream `dockerTokenLoginUsernameGUID`). */
export const ACR_REFRESH_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';

export interface ExchangeInput {
  challenge: Challenge;
  /** The Entra access token for scope https://containerregistry.azure.net/.default. */
  accessToken: string;
  /** The tenant that issued the access token; optional for ACR, sent when known. */
  tenant?: string;
  /** Who the token speaks for, for error messages (`managed identity <id>`, `client <id> ...`). */
  who: string;
}

export interface RefreshToken {
  token: string;
  /** From the token's own `exp`; undefined when it has none. */
  expiresAt?: Date;
}

export async function exchangeForRefreshToken(ctx: CallContext, input: ExchangeInput): Promise<RefreshToken> {
  const url = new URL('/oauth2/exchange', input.challenge.realm);
  const response = await call(ctx, 'the ACR token exchange', url.href, {
    method: 'POST',
    headers: FORM_HEADERS,
    body: formBody({
      grant_type: 'access_token',
      service: input.challenge.service,
      tenant: input.tenant,
      access_token: input.accessToken,
    }),
  });
  const body = jsonBody(response);
  if (response.status !== 200) {
    const kind = response.status === 401 || response.status === 403 ? 'denied' : 'unavailable';
    const reason = acrErrorText(body) ?? `status ${response.status}`;
    const fix =
      kind === 'denied'
        ? `: check that ${input.challenge.service} allows Entra ID authentication and that the identity's tenant is the registry's`
        : '';
    throw new CredkitError(kind, `${url.host} refused the token exchange for ${input.who}: ${reason}${fix}`);
  }
  const token = body?.refresh_token;
  if (typeof token !== 'string' || token === '') {
    // Upstream returns an empty password here; an empty password only fails later, at pull time.
    throw new CredkitError('unavailable', `${url.host} answered the token exchange without a refresh_token`);
  }
  ctx.log.redactor.add(token);
  return { token, ...expiryOf(token) };
}

/** ACR errors are `{"errors":[{"code":"UNAUTHORIZED","message":"..."}]}`. */
function acrErrorText(body: Record<string, unknown> | undefined): string | undefined {
  const first = Array.isArray(body?.errors) ? (body.errors[0] as Record<string, unknown> | undefined) : undefined;
  if (!first) return undefined;
  const text = [first.code, first.message].filter((part) => typeof part === 'string' && part !== '').join(' ');
  return text.replace(/\s+/g, ' ').slice(0, 300) || undefined;
}

/** ACR refresh tokens are JWTs (about 3 h); the core turns `exp` into the cache duration. */
export function expiryOf(token: string): { expiresAt?: Date } {
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === 'number' ? { expiresAt: new Date(exp * 1000) } : {};
  } catch {
    return {};
  }
}

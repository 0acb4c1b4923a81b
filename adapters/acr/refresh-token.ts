/**
 * Token mode, top to bottom: an Entra access token for the identity (the pod's federated token,
 * its identity binding, the node's managed identity or its service principal) -> the realm, pinned
 * to the image's registry (challenge.ts: known for every Azure ACR host, asked only of a custom
 * cloud's) -> ACR refresh token, by `POST https://<realm host>/oauth2/exchange` (Azure/acr
 * docs/AAD-OAuth.md; research/azure-acr.md §1.8, §5.4). Two round trips for any ACR host,
 * geo-replicas included;
 * loaded only when an image needs it, so other execs stay lean.
 *
 * No Azure SDK exports the exchange, so it is written here, small and strict. We send the
 * documented `grant_type=access_token`; upstream still sends the deprecated
 * `access_token_refresh_token` with the token twice (Azure/acr#408 shows the documented form
 * working where the other did not).
 */
import { decodeJwt } from 'jose';
import * as z from 'zod/mini';
import { type Context, type Credential, CredkitError, type ExchangeContext, exchange } from '../../core/index.ts';
import { type Challenge, fetchChallenge, knownChallenge } from './challenge.ts';
import { FORM_HEADERS, formBody, jsonObject } from './entra.ts';
import { entraTokenForServiceAccount } from './exchange.ts';
import type { AcrIdentity } from './identity.ts';
import { describeManagedIdentity, entraTokenForClientSecret, managedIdentityToken } from './node.ts';
import type { AcrTarget } from './registry.ts';

/** Username ACR expects with a refresh token (upstream `dockerTokenLoginUsernameGUID`). */
export const ACR_REFRESH_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';

/** Upstream's fixed cache TTL (cloud-provider-azure#9974), used only when a refresh token has no `exp`. */
const UNKNOWN_EXPIRY_SECONDS = 60 * 60;

export async function refreshTokenCredential(
  ctx: Context,
  identity: AcrIdentity,
  target: AcrTarget,
  authorityHost: string,
): Promise<Credential> {
  const who = describe(identity);
  ctx.log.v(2).info('getting an ACR refresh token', { registry: target.loginServer, identity: who });
  const accessToken = await entraAccessToken(ctx, identity, authorityHost);
  const challenge: Challenge = target.customCloud
    ? await fetchChallenge(ctx, target.loginServer)
    : knownChallenge(target.loginServer);
  const refresh = await exchangeForRefreshToken(ctx, {
    challenge,
    accessToken,
    ...(identity.tenantId ? { tenant: identity.tenantId } : {}),
    who,
  });
  if (!refresh.expiresAt) ctx.log.v(2).info('the ACR refresh token has no exp; caching as upstream does (1h)');
  return {
    username: ACR_REFRESH_TOKEN_USERNAME,
    password: refresh.token,
    ...(refresh.expiresAt ? { expiresAt: refresh.expiresAt } : { unknownExpirySeconds: UNKNOWN_EXPIRY_SECONDS }),
    keys: target.keys,
  };
}

function describe(identity: AcrIdentity): string {
  switch (identity.kind) {
    case 'federated':
      return `client ${identity.clientId} (tenant ${identity.tenantId}, ${identity.subject})`;
    case 'identityBinding':
      return `managed identity ${identity.clientId} (identity binding, ${identity.subject})`;
    case 'managed':
      return describeManagedIdentity(identity.userAssignedIdentityID);
    case 'servicePrincipal':
      return `service principal ${identity.clientId}`;
  }
}

function entraAccessToken(ctx: Context, identity: AcrIdentity, authorityHost: string): Promise<string> {
  switch (identity.kind) {
    case 'federated':
      return entraTokenForServiceAccount(ctx, authorityHost, identity);
    case 'identityBinding':
      return import('./identity-binding-token.ts').then((m) => m.entraTokenFromIdentityBinding(ctx, identity));
    case 'managed':
      return managedIdentityToken(ctx, identity.userAssignedIdentityID);
    case 'servicePrincipal':
      if (!identity.tenantId) {
        throw new CredkitError(
          'usage',
          '--service-principal-auth=token needs tenantId in azure.json: the secret is exchanged in that tenant',
        );
      }
      return entraTokenForClientSecret(ctx, authorityHost, { ...identity, tenantId: identity.tenantId });
  }
}

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

// Upstream returns an empty password for an answer without one; an empty password only fails
// later, at pull time.
const refreshTokenSchema = z.object({ refresh_token: z.string().check(z.minLength(1)) });

export async function exchangeForRefreshToken(ctx: ExchangeContext, input: ExchangeInput): Promise<RefreshToken> {
  const url = new URL('/oauth2/exchange', input.challenge.realm);
  const answer = await exchange(ctx, {
    what: 'the ACR token exchange',
    url: url.href,
    method: 'POST',
    headers: FORM_HEADERS,
    body: formBody({
      grant_type: 'access_token',
      service: input.challenge.service,
      tenant: input.tenant,
      access_token: input.accessToken,
    }),
    schema: refreshTokenSchema,
    reason: acrErrorText,
    refused: ({ status, reason }) => {
      const kind = status === 401 || status === 403 ? 'denied' : 'unavailable';
      const fix =
        kind === 'denied'
          ? `: check that ${input.challenge.service} allows Entra ID authentication and that the identity's tenant is the registry's`
          : '';
      return new CredkitError(kind, `${url.host} refused the token exchange for ${input.who}: ${reason}${fix}`);
    },
  });
  ctx.log.redactor.add(answer.refresh_token);
  return { token: answer.refresh_token, ...expiryOf(answer.refresh_token) };
}

/** ACR errors are `{"errors":[{"code":"UNAUTHORIZED","message":"..."}]}`. */
function acrErrorText(text: string): string | undefined {
  const errors = jsonObject(text)?.errors;
  const first = Array.isArray(errors) ? (errors[0] as Record<string, unknown> | undefined) : undefined;
  if (!first) return undefined;
  return [first.code, first.message].filter((part) => typeof part === 'string' && part !== '').join(' ') || undefined;
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

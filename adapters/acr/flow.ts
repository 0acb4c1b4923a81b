/**
 * Token mode, top to bottom: an Entra access token for the identity (IMDS or the pod's federated
 * token) -> the realm (known, or the challenge for geo-replicas) -> ACR refresh token. Two round
 * trips for `<name>.azurecr.io`; loaded only when an image needs it, so other execs stay lean.
 */
import { type Context, type Credential, CredkitError } from '../../core/index.ts';
import { type Challenge, fetchChallenge, knownChallenge } from './challenge.ts';
import { entraTokenForClientSecret, entraTokenForServiceAccount } from './entra.ts';
import { ACR_REFRESH_TOKEN_USERNAME, exchangeForRefreshToken } from './exchange.ts';
import type { AcrIdentity } from './identity.ts';
import { describeManagedIdentity, managedIdentityToken } from './imds.ts';
import type { AcrTarget } from './registry.ts';
import { isGeoReplica } from './registry.ts';

/** Upstream's fixed cache TTL (cloud-provider-azure#9974), used only when a refresh token has no `exp`. */
const UNKNOWN_EXPIRY_MS = 60 * 60 * 1000;

export async function exchangeCredential(
  ctx: Context,
  identity: AcrIdentity,
  target: AcrTarget,
  authorityHost: string,
  safetyMarginSeconds: number,
): Promise<Credential> {
  const who = describe(identity);
  ctx.log.v(2).info('getting an ACR refresh token', { registry: target.loginServer, identity: who });
  const accessToken = await entraAccessToken(ctx, identity, authorityHost);
  const challenge: Challenge = isGeoReplica(target.loginServer)
    ? await fetchChallenge(ctx, target.loginServer)
    : knownChallenge(target.loginServer);
  const refresh = await exchangeForRefreshToken(ctx, {
    challenge,
    accessToken,
    ...(identity.tenantId ? { tenant: identity.tenantId } : {}),
    who,
  });
  if (!refresh.expiresAt) ctx.log.v(2).info('the ACR refresh token has no exp; caching as upstream does (1h)');
  const expiresAt = refresh.expiresAt ?? new Date(ctx.now() + UNKNOWN_EXPIRY_MS + safetyMarginSeconds * 1000);
  return { username: ACR_REFRESH_TOKEN_USERNAME, password: refresh.token, expiresAt, keys: target.keys };
}

function describe(identity: AcrIdentity): string {
  switch (identity.kind) {
    case 'federated':
      return `client ${identity.clientId} (tenant ${identity.tenantId}, ${identity.subject})`;
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

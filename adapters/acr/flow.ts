/**
 * Token mode, top to bottom: an Entra access token for the identity (IMDS or the pod's federated
 * token) -> the realm (known, or the challenge for geo-replicas) -> ACR refresh token. Two round
 * trips for `<name>.azurecr.io`; loaded only when an image needs it, so other execs stay lean.
 */
import type { Context, Credential } from '../../core/index.ts';
import { type Challenge, fetchChallenge, knownChallenge } from './challenge.ts';
import { ACR_REFRESH_TOKEN_USERNAME, exchangeForRefreshToken } from './exchange.ts';
import { entraTokenForServiceAccount } from './entra.ts';
import type { AcrIdentity } from './identity.ts';
import { describeManagedIdentity, managedIdentityToken } from './imds.ts';
import { isGeoReplica } from './registry.ts';
import type { AcrTarget } from './registry.ts';

/** Upstream's fixed cache TTL (cloud-provider-azure#9974), used only when a refresh token has no `exp`. */
const UNKNOWN_EXPIRY_MS = 60 * 60 * 1000;

type TokenIdentity = Exclude<AcrIdentity, { kind: 'servicePrincipal' }>;

export async function exchangeCredential(
  ctx: Context,
  identity: TokenIdentity,
  target: AcrTarget,
  authorityHost: string,
  safetyMarginSeconds: number,
): Promise<Credential> {
  const who =
    identity.kind === 'federated'
      ? `client ${identity.clientId} (tenant ${identity.tenantId}, ${identity.subject})`
      : describeManagedIdentity(identity.userAssignedIdentityID);
  ctx.log.v(2).info('getting an ACR refresh token', { registry: target.loginServer, identity: who });

  const accessToken =
    identity.kind === 'federated'
      ? await entraTokenForServiceAccount(ctx, authorityHost, identity)
      : await managedIdentityToken(ctx, identity.userAssignedIdentityID);
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

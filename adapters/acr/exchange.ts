/**
 * The pod-token leg: the pod's service account token as an Entra ID client assertion for the
 * client its annotations name (workload identity federation; research/azure-acr.md §2.2, §5.2).
 * The Entra access token then becomes an ACR refresh token like any other (refresh-token.ts).
 */
import type { ExchangeContext } from '../../core/index.ts';
import { entraToken } from './entra.ts';

export interface FederatedIdentity {
  clientId: string;
  tenantId: string;
  /** The pod's token. */
  assertion: string;
  /** `system:serviceaccount:<ns>:<name>`, for error messages. */
  subject: string;
  issuer?: string;
  audience?: string;
}

export function entraTokenForServiceAccount(
  ctx: ExchangeContext,
  authorityHost: string,
  identity: FederatedIdentity,
): Promise<string> {
  return entraToken(ctx, authorityHost, {
    tenantId: identity.tenantId,
    clientId: identity.clientId,
    credential: {
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: identity.assertion,
    },
    who: `client ${identity.clientId} in tenant ${identity.tenantId} for ${identity.subject}`,
    fix: (code) => federationFix(code, identity),
  });
}

/** The fix for the AADSTS codes a misconfigured federation produces. */
function federationFix(code: number | undefined, identity: FederatedIdentity): string {
  switch (code) {
    case 70021:
    case 700211:
      return (
        `: add a federated identity credential to ${identity.clientId} with issuer ${identity.issuer ?? '<cluster OIDC issuer>'}, ` +
        `subject ${identity.subject} and audience ${identity.audience ?? 'api://AzureADTokenExchange'}`
      );
    case 700016:
    case 700038:
      return ': check the kubernetes.azure.com/acr-client-id annotation';
    case 90002:
    case 900023:
      return ': check the kubernetes.azure.com/acr-tenant-id annotation';
    case 700024:
      return ': the service account token is expired or not yet valid; check the node clock';
    case 50027:
    case 700027:
      return ": Entra ID could not verify the token's signature; check that the cluster's OIDC issuer discovery and JWKS are public";
    default:
      return '';
  }
}

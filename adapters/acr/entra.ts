/**
 * The pod's service account token as a client assertion to Entra ID (workload identity
 * federation; research/azure-acr.md §2.2, §5.2). This is the request MSAL's
 * ClientAssertionCredential makes, written directly so an exec costs one round trip: MSAL would
 * first fetch the tenant's OpenID configuration (and, unless disabled, run instance discovery).
 */
import { CredkitError, isRetryableStatus } from '../../core/index.ts';
import { type CallContext, FORM_HEADERS, call, formBody, jsonBody } from './call.ts';

/** One scope for every cloud since cloud-provider-azure#8593 (works with authentication-as-arm disabled). */
export const ACR_SCOPE = 'https://containerregistry.azure.net/.default';

export interface FederatedIdentity {
  clientId: string;
  tenantId: string;
  /** The pod's token. */
  assertion: string;
  /** `system:serviceaccount:<ns>:<name>`, for error messages. */
  subject: string;
  issuer?: string;
}

export async function entraTokenForServiceAccount(
  ctx: CallContext,
  authorityHost: string,
  identity: FederatedIdentity,
): Promise<string> {
  const url = `${authorityHost}/${encodeURIComponent(identity.tenantId)}/oauth2/v2.0/token`;
  const response = await call(ctx, 'the Entra ID token request', url, {
    method: 'POST',
    headers: FORM_HEADERS,
    body: formBody({
      grant_type: 'client_credentials',
      client_id: identity.clientId,
      scope: ACR_SCOPE,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: identity.assertion,
    }),
  });
  const body = jsonBody(response);
  const token = body?.access_token;
  if (response.status === 200 && typeof token === 'string' && token !== '') {
    ctx.log.redactor.add(token);
    return token;
  }
  const who = `client ${identity.clientId} in tenant ${identity.tenantId} for ${identity.subject}`;
  if (response.status === 200) {
    throw new CredkitError('unavailable', `Entra ID answered the token request for ${who} without an access_token`);
  }
  if (isRetryableStatus(response.status)) {
    throw new CredkitError(
      'unavailable',
      `Entra ID (${new URL(url).host}) kept answering ${response.status} for ${who}, even after retries: try again later`,
    );
  }
  const reason = (aadstsText(body) ?? `status ${response.status}`).replace(/\.$/, '');
  throw new CredkitError('denied', `Entra ID refused ${who}: ${reason}${aadstsFix(body, identity)}`);
}

/**
 * Entra's `error_description` runs over several lines ("AADSTS70021: ...\r\nTrace ID: ...");
 * the first line is the part an operator acts on.
 */
export function aadstsText(body: Record<string, unknown> | undefined): string | undefined {
  const description = typeof body?.error_description === 'string' ? body.error_description : undefined;
  const error = typeof body?.error === 'string' ? body.error : undefined;
  const first = description?.split(/\r?\n|\s+Trace ID:/)[0]?.trim();
  return (first || error)?.slice(0, 400);
}

function aadstsCode(body: Record<string, unknown> | undefined): number | undefined {
  const codes = body?.error_codes;
  if (Array.isArray(codes) && typeof codes[0] === 'number') return codes[0];
  const match = typeof body?.error_description === 'string' ? /AADSTS(\d+)/.exec(body.error_description) : null;
  return match ? Number(match[1]) : undefined;
}

/** The fix for the AADSTS codes a misconfigured federation produces. */
function aadstsFix(body: Record<string, unknown> | undefined, identity: FederatedIdentity): string {
  switch (aadstsCode(body)) {
    case 70021:
      return `: add a federated identity credential to ${identity.clientId} with issuer ${identity.issuer ?? '<cluster OIDC issuer>'}, subject ${identity.subject} and audience api://AzureADTokenExchange`;
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
      return ": Entra ID could not verify the token's signature; check the cluster's OIDC issuer discovery and JWKS";
    default:
      return '';
  }
}

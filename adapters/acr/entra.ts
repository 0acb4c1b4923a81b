/**
 * Entra ID access tokens for ACR by client credentials: the pod's service account token as a
 * client assertion (workload identity federation; research/azure-acr.md §2.2, §5.2), or the
 * azure.json service principal's secret. This is the request MSAL's ClientAssertionCredential and
 * ClientSecretCredential make, written directly so it costs one round trip on every authority:
 * MSAL fetches the tenant's OpenID configuration first on any authority it has no built-in
 * metadata for (sovereign and custom clouds), and loading it would slow every exec's start.
 */
import { CredkitError, isRetryableStatus } from '../../core/index.ts';
import { type CallContext, call, FORM_HEADERS, formBody, jsonBody } from './call.ts';

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
  audience?: string;
}

export interface ServicePrincipalSecret {
  clientId: string;
  tenantId: string;
  clientSecret: string;
}

type Body = Record<string, unknown> | undefined;

export function entraTokenForServiceAccount(
  ctx: CallContext,
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

export function entraTokenForClientSecret(
  ctx: CallContext,
  authorityHost: string,
  sp: ServicePrincipalSecret,
): Promise<string> {
  return entraToken(ctx, authorityHost, {
    tenantId: sp.tenantId,
    clientId: sp.clientId,
    credential: { client_secret: sp.clientSecret },
    who: `service principal ${sp.clientId} in tenant ${sp.tenantId}`,
    fix: (code) => secretFix(code),
  });
}

interface TokenRequest {
  tenantId: string;
  clientId: string;
  credential: Record<string, string>;
  who: string;
  fix(code: number | undefined): string;
}

async function entraToken(ctx: CallContext, authorityHost: string, request: TokenRequest): Promise<string> {
  const url = `${authorityHost}/${encodeURIComponent(request.tenantId)}/oauth2/v2.0/token`;
  const response = await call(ctx, 'the Entra ID token request', url, {
    method: 'POST',
    headers: FORM_HEADERS,
    body: formBody({
      grant_type: 'client_credentials',
      client_id: request.clientId,
      scope: ACR_SCOPE,
      ...request.credential,
    }),
  });
  const body = jsonBody(response);
  const token = body?.access_token;
  if (response.status === 200 && typeof token === 'string' && token !== '') {
    ctx.log.redactor.add(token);
    return token;
  }
  if (response.status === 200) {
    throw new CredkitError(
      'unavailable',
      `Entra ID answered the token request for ${request.who} without an access_token`,
    );
  }
  if (isRetryableStatus(response.status)) {
    throw new CredkitError(
      'unavailable',
      `Entra ID (${new URL(url).host}) kept answering ${response.status} for ${request.who}, even after retries: try again later`,
    );
  }
  const reason = (aadstsText(body) ?? `status ${response.status}`).replace(/\.$/, '');
  throw new CredkitError('denied', `Entra ID refused ${request.who}: ${reason}${request.fix(aadstsCode(body))}`);
}

/**
 * Entra's `error_description` runs over several lines ("AADSTS70021: ...\r\nTrace ID: ...");
 * the first line is the part an operator acts on.
 */
export function aadstsText(body: Body): string | undefined {
  const description = typeof body?.error_description === 'string' ? body.error_description : undefined;
  const error = typeof body?.error === 'string' ? body.error : undefined;
  const first = description?.split(/\r?\n|\s+Trace ID:/)[0]?.trim();
  return (first || error)?.slice(0, 400);
}

function aadstsCode(body: Body): number | undefined {
  const codes = body?.error_codes;
  if (Array.isArray(codes) && typeof codes[0] === 'number') return codes[0];
  const match = typeof body?.error_description === 'string' ? /AADSTS(\d+)/.exec(body.error_description) : null;
  return match ? Number(match[1]) : undefined;
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

function secretFix(code: number | undefined): string {
  switch (code) {
    case 7000215:
      return ': aadClientSecret in azure.json is wrong';
    case 7000222:
      return ': the secret has expired; create a new one and update aadClientSecret in azure.json';
    case 700016:
      return ': check aadClientId and tenantId in azure.json';
    case 90002:
      return ': check tenantId in azure.json';
    default:
      return '';
  }
}

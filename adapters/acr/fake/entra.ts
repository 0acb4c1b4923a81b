/**
 * A fake Entra ID: the token endpoint for client assertions (workload identity federation) and
 * client secrets, plus the discovery endpoints MSAL calls first, so both credkit-acr and
 * @azure/identity's ClientAssertionCredential can talk to it (research/azure-acr.md §5.2). The
 * assertion is verified as Entra does: a federated identity credential must match its issuer,
 * subject and audience, and its signature must verify against the cluster issuer's keys.
 */
import { randomUUID } from 'node:crypto';
import { decodeJwt, type JWTPayload } from 'jose';
import type { FakeRequest, FakeResponse } from '../../../core/testing/index.ts';
import { ACR_RESOURCE, type Signer } from './tokens.ts';

export interface FederatedCredentialSpec {
  tenantId: string;
  /** The app registration's or user-assigned identity's client id. */
  clientId: string;
  issuer: string;
  subject: string;
  /** Default api://AzureADTokenExchange. */
  audience?: string;
}

export interface ServicePrincipalSpec {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export interface FakeEntraOptions {
  federatedCredentials: FederatedCredentialSpec[];
  servicePrincipals: ServicePrincipalSpec[];
  /** Extra tenants that exist but hold nothing. */
  tenants: string[];
  /** Verifies a client assertion's signature, issuer, audience and expiry (the cluster issuer's JWKS). */
  verifyAssertion(token: string, audience: string): Promise<JWTPayload>;
  signer: Signer;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export function entraLabel(req: FakeRequest): string {
  const path = req.url.pathname;
  if (path.endsWith('/discovery/instance')) return 'instance-discovery';
  if (path.endsWith('/.well-known/openid-configuration')) return 'openid-configuration';
  if (path.endsWith('/oauth2/v2.0/token')) return 'token';
  return `${req.method} ${path}`;
}

export function entraHandler(options: FakeEntraOptions): (req: FakeRequest) => Promise<FakeResponse> {
  const tenants = new Set([
    ...options.tenants,
    ...options.federatedCredentials.map((f) => f.tenantId),
    ...options.servicePrincipals.map((s) => s.tenantId),
  ]);
  return async (req) => {
    const base = `https://${req.host}`;
    const tenant = req.url.pathname.split('/')[1] ?? '';
    switch (req.endpoint) {
      case 'instance-discovery':
        return {
          body: {
            tenant_discovery_endpoint: `${base}/{tenant}/v2.0/.well-known/openid-configuration`,
            'api-version': '1.1',
            metadata: [{ preferred_network: req.host, preferred_cache: req.host, aliases: [req.host] }],
          },
        };
      case 'openid-configuration':
        if (tenant !== 'common' && tenant !== 'organizations' && !tenants.has(tenant)) return tenantNotFound(tenant);
        return { body: openIdConfiguration(base, tenant) };
      case 'token':
        if (req.method !== 'POST') return { status: 405, body: 'token endpoint takes POST' };
        if (!tenants.has(tenant)) return tenantNotFound(tenant);
        return token(options, tenant, new URLSearchParams(req.body));
      default:
        return { status: 404, body: { error: 'not_found' } };
    }
  };
}

function openIdConfiguration(base: string, tenant: string): Record<string, unknown> {
  return {
    token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
    authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
    device_authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/devicecode`,
    issuer: `${base}/${tenant}/v2.0`,
    jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
  };
}

async function token(options: FakeEntraOptions, tenant: string, form: URLSearchParams): Promise<FakeResponse> {
  const clientId = form.get('client_id') ?? '';
  if (form.get('grant_type') !== 'client_credentials') {
    return aadsts(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  }
  const scopes = (form.get('scope') ?? '').split(' ');
  if (!scopes.includes(`${ACR_RESOURCE}/.default`)) {
    return aadsts(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid.`);
  }
  const secret = form.get('client_secret');
  if (secret !== null) {
    const sp = options.servicePrincipals.find((s) => s.tenantId === tenant && s.clientId === clientId);
    if (!sp) return appNotFound(clientId, tenant);
    if (sp.clientSecret !== secret) return aadsts(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
    return issue(options, tenant, clientId);
  }
  if (form.get('client_assertion_type') !== JWT_BEARER || !form.get('client_assertion')) {
    return aadsts(
      400,
      'invalid_request',
      900144,
      "The request body must contain the following parameter: 'client_assertion'.",
    );
  }
  const credentials = options.federatedCredentials.filter((f) => f.tenantId === tenant && f.clientId === clientId);
  if (credentials.length === 0) return appNotFound(clientId, tenant);
  return federated(options, tenant, clientId, credentials, form.get('client_assertion') as string);
}

async function federated(
  options: FakeEntraOptions,
  tenant: string,
  clientId: string,
  credentials: FederatedCredentialSpec[],
  assertion: string,
): Promise<FakeResponse> {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion);
  } catch {
    return aadsts(400, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud ?? ''];
  const match = credentials.find(
    (f) =>
      f.issuer === claims.iss &&
      f.subject === claims.sub &&
      audiences.includes(f.audience ?? 'api://AzureADTokenExchange'),
  );
  if (!match) {
    return aadsts(
      400,
      'invalid_client',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${claims.iss}'. Assertion Subject: '${claims.sub}'. Assertion Audience: '${audiences.join(',')}'.`,
    );
  }
  try {
    await options.verifyAssertion(assertion, match.audience ?? 'api://AzureADTokenExchange');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') {
      return aadsts(400, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
    }
    return aadsts(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
  }
  return issue(options, tenant, clientId);
}

async function issue(options: FakeEntraOptions, tenant: string, clientId: string): Promise<FakeResponse> {
  const accessToken = await entraAccessToken(options.signer, tenant, clientId);
  return { body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken } };
}

export function entraAccessToken(signer: Signer, tenant: string, clientId: string): Promise<string> {
  return signer.sign(
    { aud: ACR_RESOURCE, tid: tenant, appid: clientId, oid: clientId, sub: clientId, idtyp: 'app' },
    3600,
  );
}

function tenantNotFound(tenant: string): FakeResponse {
  return aadsts(
    400,
    'invalid_tenant',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`,
  );
}

function appNotFound(clientId: string, tenant: string): FakeResponse {
  return aadsts(
    400,
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
  );
}

/** Entra's error shape, multi-line description with trace ids included. */
export function aadsts(status: number, error: string, code: number, message: string): FakeResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

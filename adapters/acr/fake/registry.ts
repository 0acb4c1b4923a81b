/**
 * A fake Azure Container Registry (research/azure-acr.md §5.4, Azure/acr docs/AAD-OAuth.md): the
 * `/v2/` Bearer challenge, `/oauth2/exchange` (Entra access token -> refresh token, both grant
 * types), `/oauth2/token` (refresh token, password grant or Basic -> access token) and a manifest,
 * blob and tag API that accepts only access tokens this registry signed for that repository.
 */
import {
  type FakeRequest,
  type FakeResponse,
  registryRepository,
  serveRegistryContent,
} from '../../../core/testing/index.ts';
import type { Signer } from './tokens.ts';

export const REFRESH_USERNAME = '00000000-0000-0000-0000-000000000000';

export interface FakeRegistrySpec {
  loginServer: string;
  /** Regions with a geo-replica endpoint `<name>.<region>.geo.azurecr.io`. */
  geoReplicas?: string[];
  /** Client ids allowed to pull (AcrPull); undefined: every authenticated identity. */
  pullers?: string[];
  /** Refresh token lifetime (default 3 h, as ACR). */
  refreshTokenSeconds?: number;
  /**
   * The realm the `/v2/` challenge names, for hostile tests (a look-alike registry sending the
   * token elsewhere). Default: as ACR, the host that was asked.
   */
  challengeRealm?: string;
}

export interface IssuedRefreshToken {
  refreshToken: string;
  clientId: string;
  tenant?: string;
  grantType: string;
}

export interface RegistryState {
  spec: FakeRegistrySpec;
  /** Verifies an Entra access token (the fake Entra's signature, ACR audience). */
  verifyEntraToken(token: string): Promise<Record<string, unknown>>;
  /** Service principals ACR accepts directly with Basic auth (admin-less SP login). */
  servicePrincipals: Array<{ clientId: string; clientSecret: string }>;
  signer: Signer;
  issued: IssuedRefreshToken[];
}

export function registryLabel(req: FakeRequest): string {
  const path = req.url.pathname;
  if (path === '/v2/' || path === '/v2') return 'challenge';
  if (path === '/oauth2/exchange') return 'exchange';
  if (path === '/oauth2/token') return 'token';
  if (/^\/v2\/.+\/manifests\/[^/]+$/.test(path)) return 'manifest';
  if (/^\/v2\/.+\/blobs\/[^/]+$/.test(path)) return 'blob';
  if (/^\/v2\/.+\/tags\/list$/.test(path)) return 'tags';
  return `${req.method} ${path}`;
}

const unauthorized = (message: string, challenge?: string): FakeResponse => ({
  status: 401,
  headers: challenge ? { 'www-authenticate': challenge } : {},
  body: { errors: [{ code: 'UNAUTHORIZED', message, detail: null }] },
});

export function registryHandler(state: RegistryState): (req: FakeRequest) => Promise<FakeResponse> {
  const { loginServer } = state.spec;
  return async (req) => {
    const realm = state.spec.challengeRealm ?? `https://${req.host}/oauth2/token`;
    const challenge = `Bearer realm="${realm}",service="${loginServer}"`;
    switch (req.endpoint) {
      case 'challenge':
        if (await bearerAccess(state, req)) return { body: {} };
        return unauthorized(
          'authentication required, visit https://aka.ms/acr/authorization for more information.',
          challenge,
        );
      case 'exchange':
        return req.method === 'POST' ? exchange(state, new URLSearchParams(req.body)) : { status: 405, body: '' };
      case 'token':
        return token(state, req);
      case 'manifest':
      case 'blob':
      case 'tags':
        return content(state, req, challenge);
      default:
        return { status: 404, body: { errors: [{ code: 'NOT_FOUND', message: 'not found' }] } };
    }
  };
}

async function exchange(state: RegistryState, form: URLSearchParams): Promise<FakeResponse> {
  const grantType = form.get('grant_type') ?? '';
  if (grantType !== 'access_token' && grantType !== 'access_token_refresh_token') {
    return {
      status: 400,
      body: { errors: [{ code: 'UNSUPPORTED', message: `grant_type ${grantType} is not supported` }] },
    };
  }
  if (form.get('service') !== state.spec.loginServer) {
    return { status: 400, body: { errors: [{ code: 'UNSUPPORTED', message: 'service does not name this registry' }] } };
  }
  const accessToken = form.get('access_token') ?? '';
  if (grantType === 'access_token_refresh_token' && form.get('refresh_token') !== accessToken) {
    return unauthorized('refresh_token must repeat the access token for this grant type');
  }
  let claims: Record<string, unknown>;
  try {
    claims = await state.verifyEntraToken(accessToken);
  } catch {
    return unauthorized('the AAD access token is not valid');
  }
  const tenant = form.get('tenant');
  if (tenant && tenant !== claims.tid) return unauthorized(`the AAD token was not issued by tenant ${tenant}`);
  const clientId = String(claims.appid);
  const refreshToken = await state.signer.sign(
    {
      aud: state.spec.loginServer,
      sub: clientId,
      tenant: claims.tid,
      grant_type: 'refresh_token',
      permissions: { actions: ['read'] },
    },
    state.spec.refreshTokenSeconds ?? 3 * 3600,
  );
  state.issued.push({ refreshToken, clientId, grantType, ...(tenant ? { tenant } : {}) });
  return { body: { refresh_token: refreshToken } };
}

/** Who the caller of `/oauth2/token` is, from a refresh token or an SP secret; undefined if neither verifies. */
async function tokenSubject(state: RegistryState, req: FakeRequest): Promise<string | undefined> {
  const form = req.method === 'POST' ? new URLSearchParams(req.body) : new URLSearchParams();
  let username = form.get('username');
  let password = form.get('grant_type') === 'refresh_token' ? form.get('refresh_token') : form.get('password');
  if (form.get('grant_type') === 'refresh_token') username = REFRESH_USERNAME;
  const basic = /^Basic (.+)$/i.exec(String(req.headers.authorization ?? ''));
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    username = decoded.slice(0, decoded.indexOf(':'));
    password = decoded.slice(decoded.indexOf(':') + 1);
  }
  if (!username || !password) return undefined;
  if (username === REFRESH_USERNAME) {
    try {
      const claims = await state.signer.verify(password, state.spec.loginServer);
      return claims.grant_type === 'refresh_token' ? String(claims.sub) : undefined;
    } catch {
      return undefined;
    }
  }
  const sp = state.servicePrincipals.find((s) => s.clientId === username && s.clientSecret === password);
  return sp?.clientId;
}

async function token(state: RegistryState, req: FakeRequest): Promise<FakeResponse> {
  const subject = await tokenSubject(state, req);
  if (!subject) return unauthorized('authentication required');
  const form = req.method === 'POST' ? new URLSearchParams(req.body) : req.url.searchParams;
  if (form.get('service') !== state.spec.loginServer) return unauthorized('service does not name this registry');
  const mayPull = !state.spec.pullers || state.spec.pullers.includes(subject);
  const access = form
    .getAll('scope')
    .flatMap((scope) => scope.split(' '))
    .map((scope) => scope.split(':'))
    .filter(([type, , actions]) => type === 'repository' && mayPull && actions?.split(',').includes('pull'))
    .map(([, name]) => ({ type: 'repository', name, actions: ['pull'] }));
  const accessToken = await state.signer.sign(
    { aud: state.spec.loginServer, sub: subject, grant_type: 'access_token', access },
    75 * 60,
  );
  return { body: { access_token: accessToken } };
}

/** Whether the request carries an access token this registry signed; with `repository`, one that may pull it. */
async function bearerAccess(state: RegistryState, req: FakeRequest, repository?: string): Promise<boolean> {
  const bearer = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''));
  if (!bearer) return false;
  try {
    const claims = await state.signer.verify(bearer[1] as string, state.spec.loginServer);
    if (claims.grant_type !== 'access_token') return false;
    if (repository === undefined) return true;
    const access = (claims.access ?? []) as Array<{ name?: string; actions?: string[] }>;
    return access.some((entry) => entry.name === repository && entry.actions?.includes('pull'));
  } catch {
    return false;
  }
}

async function content(state: RegistryState, req: FakeRequest, challenge: string): Promise<FakeResponse> {
  const repository = registryRepository(req) ?? '';
  if (!(await bearerAccess(state, req, repository))) {
    return unauthorized('authentication required', `${challenge},scope="repository:${repository}:pull"`);
  }
  return serveRegistryContent(req);
}

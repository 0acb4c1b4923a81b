/**
 * The fake Artifact Registry / Container Registry: a one-image registry behind the Docker token
 * handshake Artifact Registry uses, accepting only access tokens the fake cloud issued. Real
 * clients (skopeo, containerd) pull from it, so a returned credential is proven to work.
 */
import { randomBytes } from 'node:crypto';
import {
  type FakeRequest,
  type FakeResponse,
  registryError,
  registryRepository,
  serveRegistryContent,
} from '../../../core/testing/index.ts';

/** A manifest fetch that got through, and who made it. */
export interface Pull {
  host: string;
  repository: string;
  identity: string;
}

/**
 * The identity a Basic login stands for: `_token` with an access token the fake cloud issued and
 * that has not expired, or a login the fake was given (a dockercfg entry's).
 */
export type LoginLookup = (username: string, password: string) => { identity: string } | undefined;

export function registryEndpoint(req: FakeRequest): string {
  const path = req.url.pathname;
  if (path === '/v2/token') return 'registry.token';
  if (path === '/v2/' || path === '/v2') return 'registry.v2';
  if (/\/manifests\/[^/]+$/.test(path)) return 'registry.manifest';
  if (/\/blobs\/[^/]+$/.test(path)) return 'registry.blob';
  if (path.endsWith('/tags/list')) return 'registry.tags';
  return 'registry.other';
}

/**
 * The Docker registry token handshake Artifact Registry uses: 401 with a Bearer challenge, then
 * `GET /v2/token` with Basic `_token:<access token>` (or `oauth2accesstoken`, or another login),
 * then the registry token on every call. Basic auth straight on /v2 calls is accepted too.
 */
export function registryHandler(login: LoginLookup, pulls: Pull[]) {
  const registryTokens = new Map<string, string>();
  const identityOf = (req: FakeRequest): string | undefined => {
    const [scheme, value] = String(req.headers.authorization ?? '').split(' ');
    if (scheme === 'Bearer') return registryTokens.get(value ?? '');
    if (scheme !== 'Basic') return undefined;
    const [user = '', ...rest] = Buffer.from(value ?? '', 'base64')
      .toString('utf8')
      .split(':');
    return login(user, rest.join(':'))?.identity;
  };
  const unauthorized = (req: FakeRequest): FakeResponse => ({
    status: 401,
    headers: {
      'WWW-Authenticate': `Bearer realm="https://${req.host}/v2/token",service="${req.host}"`,
      'Docker-Distribution-API-Version': 'registry/2.0',
    },
    body: { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
  });

  return (req: FakeRequest): FakeResponse => {
    const path = req.url.pathname;
    if (path === '/v2/token') {
      const identity = String(req.headers.authorization ?? '').startsWith('Basic ') ? identityOf(req) : undefined;
      if (!identity) return registryError(401, 'UNAUTHORIZED', 'invalid credentials');
      const token = `registry-${randomBytes(16).toString('hex')}`;
      registryTokens.set(token, identity);
      return { body: { token, access_token: token, expires_in: 3600 } };
    }
    const identity = identityOf(req);
    if (!identity) return unauthorized(req);
    const repository = registryRepository(req);
    if (repository !== undefined && /\/manifests\//.test(path)) pulls.push({ host: req.host, repository, identity });
    return serveRegistryContent(req);
  };
}

/**
 * A fake ECR registry (Docker Registry HTTP API v2) that accepts only `AWS:<password>` Basic
 * credentials the fake ECR issued, unexpired and for this registry's scope, as ECR does. It serves
 * one small image per repository so a real client (skopeo inspect) can read a manifest and config.
 */
import {
  type FakeRequest,
  type FakeResponse,
  registryError,
  registryRepository,
  serveRegistryContent,
} from '../../../core/testing/index.ts';
import type { FakeIam, IssuedPassword } from './iam.ts';

export interface RegistryOptions {
  iam: FakeIam;
  /** `private:<region>` or `public` for a registry host. */
  scopeOf(host: string): string | undefined;
  /** Which principals may read which repository (default: any principal ECR issued a token to). */
  canPull?(principal: string, repository: string): boolean;
  now?: () => number;
}

export function registryLabel(req: FakeRequest): string {
  if (req.url.pathname === '/v2/' || req.url.pathname === '/v2') return 'ping';
  return /\/(manifests|blobs|tags)\//.exec(req.url.pathname)?.[1] ?? 'other';
}

export function registryHandler(options: RegistryOptions): (req: FakeRequest) => FakeResponse {
  return (req) => {
    const grant = authenticate(req, options);
    const challenge = { 'www-authenticate': `Basic realm="https://${req.host}/",service="ecr.amazonaws.com"` };
    if (!grant) return registryError(401, 'UNAUTHORIZED', 'authentication required', challenge);
    const repository = registryRepository(req);
    if (repository !== undefined && options.canPull && !options.canPull(grant.principal, repository)) {
      return registryError(403, 'DENIED', `User: ${grant.principal} is not authorized to pull ${repository}`);
    }
    return serveRegistryContent(req);
  };
}

function authenticate(req: FakeRequest, options: RegistryOptions): IssuedPassword | undefined {
  const header = String(req.headers.authorization ?? '');
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (decoded.slice(0, colon) !== 'AWS') return undefined;
  const password = decoded.slice(colon + 1);
  const now = options.now?.() ?? Date.now();
  const scope = options.scopeOf(req.host);
  return options.iam.issued.find((p) => p.password === password && p.scope === scope && p.expiresAt > now);
}

/**
 * A fake ECR registry (Docker Registry HTTP API v2) that accepts only `AWS:<password>` Basic
 * credentials the fake ECR issued, unexpired and for this registry's scope, as ECR does. It serves
 * one small image per repository so a real client (skopeo inspect) can read a manifest and config.
 */
import { createHash } from 'node:crypto';
import type { FakeRequest, FakeResponse } from '../../../core/testing/index.ts';
import type { FakeIam, IssuedPassword } from './iam.ts';

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const CONFIG = JSON.stringify({
  architecture: 'amd64',
  os: 'linux',
  created: '2026-01-01T00:00:00Z',
  config: { Labels: { 'org.opencontainers.image.title': 'credkit-fake' } },
  rootfs: { type: 'layers', diff_ids: [] },
});
const CONFIG_DIGEST = digest(CONFIG);
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: MANIFEST_TYPE,
  config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: CONFIG.length, digest: CONFIG_DIGEST },
  layers: [],
});
const MANIFEST_DIGEST = digest(MANIFEST);

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
    if (!grant) return { status: 401, headers: challenge, body: errors('UNAUTHORIZED', 'authentication required') };
    if (req.url.pathname === '/v2/' || req.url.pathname === '/v2') return { status: 200, body: {} };
    const match = /^\/v2\/(.+)\/(manifests|blobs|tags)\/(.+)$/.exec(req.url.pathname);
    if (!match) return { status: 404, body: errors('NAME_UNKNOWN', 'not found') };
    const [, repository = '', kind, ref] = match;
    if (options.canPull && !options.canPull(grant.principal, repository)) {
      return {
        status: 403,
        body: errors('DENIED', `User: ${grant.principal} is not authorized to pull ${repository}`),
      };
    }
    const head = req.method === 'HEAD';
    if (kind === 'tags') return { status: 200, body: { name: repository, tags: ['latest', '1.0'] } };
    if (kind === 'manifests') {
      const headers = { 'content-type': MANIFEST_TYPE, 'docker-content-digest': MANIFEST_DIGEST };
      return { status: 200, headers, body: head ? '' : MANIFEST };
    }
    if (ref === CONFIG_DIGEST)
      return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: head ? '' : CONFIG };
    return { status: 404, body: errors('BLOB_UNKNOWN', 'blob unknown') };
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

function errors(code: string, message: string): object {
  return { errors: [{ code, message }] };
}

function digest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

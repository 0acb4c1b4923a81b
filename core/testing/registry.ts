/**
 * The content half of a fake container registry (Docker Registry HTTP API v2): every repository
 * holds one small, valid OCI image, so a real client (skopeo, containerd) can list tags and read the
 * manifest and config. Each cloud's fake puts its own authentication in front of it; this is only
 * what an authenticated client is served.
 */
import { createHash } from 'node:crypto';
import type { FakeRequest, FakeResponse } from './server.ts';

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const API_VERSION_HEADER = { 'docker-distribution-api-version': 'registry/2.0' };
const CONTENT_PATH = /^\/v2\/(.+)\/(manifests|blobs|tags)\/([^/]+)$/;

export interface RegistryImage {
  config: string;
  configDigest: string;
  manifest: string;
  manifestDigest: string;
}

/** A minimal image (a config blob, a manifest, no layers) labelled with its repository. */
export function sampleImage(repository: string): RegistryImage {
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { repository } },
    rootfs: { type: 'layers', diff_ids: [] },
  });
  const configDigest = sha256(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: Buffer.byteLength(config),
    },
    layers: [],
  });
  return { config, configDigest, manifest, manifestDigest: sha256(manifest) };
}

/** The repository a content request (`/v2/<name>/manifests|blobs|tags/...`) is for, if it is one. */
export function registryRepository(req: FakeRequest): string | undefined {
  return CONTENT_PATH.exec(req.url.pathname)?.[1];
}

/** Whether the request is the API version check (`GET /v2/`). */
export function isRegistryPing(req: FakeRequest): boolean {
  return req.url.pathname === '/v2/' || req.url.pathname === '/v2';
}

/** What an authenticated client gets: `/v2/`, tags, the manifest (GET or HEAD) and the config blob. */
export function serveRegistryContent(req: FakeRequest): FakeResponse {
  if (isRegistryPing(req)) return { headers: API_VERSION_HEADER, body: {} };
  const match = CONTENT_PATH.exec(req.url.pathname);
  if (!match) return registryError(404, 'NAME_UNKNOWN', 'repository name not known to registry');
  const [, repository = '', kind, reference] = match;
  const image = sampleImage(repository);
  const head = req.method === 'HEAD';
  if (kind === 'tags') return { headers: API_VERSION_HEADER, body: { name: repository, tags: ['latest', 'v1'] } };
  if (kind === 'manifests') {
    const headers = {
      ...API_VERSION_HEADER,
      'content-type': MANIFEST_TYPE,
      'docker-content-digest': image.manifestDigest,
    };
    return { headers, body: head ? '' : image.manifest };
  }
  if (reference !== image.configDigest) return registryError(404, 'BLOB_UNKNOWN', 'blob unknown to registry');
  const headers = {
    ...API_VERSION_HEADER,
    'content-type': 'application/octet-stream',
    'docker-content-digest': image.configDigest,
  };
  return { headers, body: head ? '' : image.config };
}

/** A registry error body as distribution writes it. */
export function registryError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): FakeResponse {
  return { status, headers: { ...API_VERSION_HEADER, ...headers }, body: { errors: [{ code, message }] } };
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

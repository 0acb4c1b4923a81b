/**
 * The dockercfg flows in process, against the fake metadata server, fake Cloud Storage (signed URLs)
 * and a plain-http document server: upstream's TestConfigProvider and TestConfigURLProvider vectors
 * (research/gcp-gar.md §3.2 3-4), then the failures, each one line that names the fix and no secret.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_KINDS } from '../../../core/index.ts';
import type { FakeRequest, FakeServer } from '../../../core/testing/index.ts';
import {
  DOCKERCFG_OBJECT,
  type GarWorld,
  IMAGE,
  KEY_LOGIN,
  NODE_DOCKERCFG,
  OTHER_REGISTRY,
  ROBOT_LOGIN,
  resetCloud,
  runGar,
  startGarWorld,
} from './world.ts';

// Upstream's fixture (cmd/auth-provider-gcp/provider/provider_test.go).
const UPSTREAM_DOCKERCFG = '{"https://hello.kubernetes.io":{"email":"foo@bar.baz","auth":"Zm9vOmJhcg=="}}';

let g: GarWorld;
let plain: FakeServer;
const documents: Record<string, { status?: number; headers?: Record<string, string>; body: string }> = {
  '/my/value': { body: UPSTREAM_DOCKERCFG },
  '/moved': { status: 302, headers: { location: 'http://foo.bar.com/my/value' }, body: '' },
};
beforeAll(async () => {
  g = await startGarWorld();
  // upstream's http://foo.bar.com/my/value; it refuses what only the metadata server should get.
  plain = await g.world.serve(
    ['foo.bar.com'],
    (req: FakeRequest) => {
      if (req.headers['metadata-flavor'] !== undefined) return { status: 400, body: 'metadata header sent' };
      const doc = documents[req.url.pathname];
      if (!doc) return { status: 404, body: 'Not Found' };
      if (req.url.pathname === '/my/value' && req.url.username) return { status: 400, body: 'userinfo in URL' };
      return { status: doc.status ?? 200, headers: doc.headers ?? {}, body: doc.body };
    },
    { tls: false, name: 'documents', label: () => 'document' },
  );
});
afterAll(() => g.close());
beforeEach(() => {
  resetCloud(g.cloud);
  plain.resetCalls();
  plain.faults.clear();
});

/** Runs with some instance attributes replaced, then puts them back. */
async function withAttributes<T>(attributes: Record<string, string | undefined>, run: () => Promise<T>): Promise<T> {
  const saved = { ...g.cloud.attributes };
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) delete g.cloud.attributes[name];
    else g.cloud.attributes[name] = value;
  }
  try {
    return await run();
  } finally {
    for (const name of Object.keys(g.cloud.attributes)) delete g.cloud.attributes[name];
    Object.assign(g.cloud.attributes, saved);
  }
}

const dockercfg = (args: string[] = [], input: Parameters<typeof runGar>[1] = {}) =>
  runGar(g, { ...input, args: ['get-credentials', ...args] });

describe('upstream TestConfigProvider and TestConfigURLProvider', () => {
  it.each([
    { name: 'dockercfg', args: ['--authFlow=dockercfg'], attributes: { 'google-dockercfg': UPSTREAM_DOCKERCFG } },
    {
      name: 'dockercfg-url (http://foo.bar.com/my/value)',
      args: ['-a', 'dockercfg-url'],
      attributes: { 'google-dockercfg-url': 'http://foo.bar.com/my/value' },
    },
  ])('$name: foo/bar under the dockercfg key, cacheKeyType Image', async ({ args, attributes }) => {
    const run = await withAttributes(attributes, () => dockercfg(args, { image: 'hello.kubernetes.io/app' }));
    expect(run.code, run.stderr).toBe(0);
    expect(run.response).toEqual({
      kind: 'CredentialProviderResponse',
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      cacheKeyType: 'Image',
      cacheDuration: '0s',
      auth: { 'https://hello.kubernetes.io': { username: 'foo', password: 'bar' } },
    });
  });

  // Different: upstream returns every entry for any image (its fixture pulls registry.k8s.io/pause);
  // credkit returns the entries the image matches, so here none: no auth, as for any unserved image.
  it('an image no entry matches: no auth, 0s', async () => {
    const run = await withAttributes({ 'google-dockercfg': UPSTREAM_DOCKERCFG }, () =>
      dockercfg(['-adockercfg'], { image: 'registry.k8s.io/pause' }),
    );
    expect(run.code).toBe(0);
    expect(run.response?.auth).toBeUndefined();
    expect(run.response?.cacheDuration).toBe('0s');
  });
});

describe('the dockercfg flows', () => {
  it.each([
    { flow: 'dockercfg', image: IMAGE, key: 'https://us-central1-docker.pkg.dev', login: KEY_LOGIN },
    { flow: 'dockercfg', image: `${OTHER_REGISTRY}/team/app`, key: OTHER_REGISTRY, login: ROBOT_LOGIN },
    { flow: 'dockercfg-url', image: IMAGE, key: 'https://us-central1-docker.pkg.dev', login: KEY_LOGIN },
    { flow: 'dockercfg-url', image: `${OTHER_REGISTRY}/team/app`, key: OTHER_REGISTRY, login: ROBOT_LOGIN },
  ])('$flow, $image: that entry only, nothing from the identity legs', async ({ flow, image, key, login }) => {
    const run = await dockercfg([`--authFlow=${flow}`], { image });
    expect(run.code, run.stderr).toBe(0);
    expect(run.response?.auth).toEqual({ [key]: { username: login.username, password: login.password } });
    expect(g.cloud.metadata.calls('metadata.token') + g.cloud.sts.calls()).toBe(0);
    expect(g.cloud.metadata.calls(`metadata.google-${flow}`)).toBe(1);
    expect(g.cloud.storage.calls()).toBe(flow === 'dockercfg-url' ? 1 : 0);
  });

  it('dockercfg-url: the signed URL through the proxy, without the metadata header (Cloud Storage would refuse it)', async () => {
    const connects = g.world.proxy.count('storage.googleapis.com');
    const run = await dockercfg(['-a', 'dockercfg-url']);
    expect(run.code, run.stderr).toBe(0);
    expect(g.world.proxy.count('storage.googleapis.com')).toBe(connects + 1);
    const [request] = g.cloud.storage.requests;
    expect(request?.headers['metadata-flavor']).toBeUndefined();
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.url.pathname).toBe(DOCKERCFG_OBJECT);
  });

  // Different: upstream does not trim, so the newline --metadata-from-file leaves fails there.
  it('a trailing newline in google-dockercfg-url is trimmed', async () => {
    const url = g.cloud.storage.signedUrl(DOCKERCFG_OBJECT);
    const run = await withAttributes({ 'google-dockercfg-url': `${url}\n` }, () => dockercfg(['-a', 'dockercfg-url']));
    expect(run.code, run.stderr).toBe(0);
  });

  it('plain http works, with a warning; userinfo becomes Basic authentication and is never printed', async () => {
    documents['/private'] = { body: UPSTREAM_DOCKERCFG };
    const run = await withAttributes(
      { 'google-dockercfg-url': 'http://fetcher:d0c-s3cret-pw@foo.bar.com/private' },
      () => dockercfg(['-a', 'dockercfg-url', '--v=10'], { image: 'hello.kubernetes.io/app' }),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('google-dockercfg-url is plain http');
    const request = plain.requests.at(-1);
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('fetcher:d0c-s3cret-pw').toString('base64')}`);
    expect(run.stderr).not.toContain('d0c-s3cret-pw');
  });

  it('identity flags are warned about and unused; a token of any audience is ignored', async () => {
    const token = await g.world.issuer.mint({ audience: 'sts.amazonaws.com', namespace: 'team', serviceAccount: 'x' });
    const run = await dockercfg(
      ['-a', 'dockercfg', '--identity-provider=https://container.googleapis.com/v1/x', '--project-id=my-project'],
      { token, annotations: { 'iam.gke.io/enable-wi-image-pull': 'true' } },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('--identity-provider was set but --authFlow is "dockercfg"');
    expect(run.response?.auth?.['https://us-central1-docker.pkg.dev']?.username).toBe(KEY_LOGIN.username);
    expect(g.cloud.sts.calls()).toBe(0);
  });

  it('Cloud Storage 503 twice: retried, then the document', async () => {
    g.cloud.storage.faults.push('storage.object', { status: 503, body: 'backend error' }, 2);
    const run = await dockercfg(['-a', 'dockercfg-url']);
    expect(run.code, run.stderr).toBe(0);
    expect(g.cloud.storage.calls()).toBe(3);
  });
});

describe('failures: one line, the fix, no secret, at --v=10', () => {
  const signature = (url: string) => new URL(url).searchParams.get('X-Goog-Signature') ?? '';
  it.each<{
    name: string;
    args: string[];
    attributes: () => Record<string, string | undefined>;
    code: number;
    error: string;
  }>([
    {
      name: 'no google-dockercfg attribute',
      args: ['-a', 'dockercfg'],
      attributes: () => ({ 'google-dockercfg': undefined }),
      code: ERROR_KINDS.denied,
      error: 'the metadata server has no instance attribute google-dockercfg (404): set it on the node',
    },
    {
      name: 'no google-dockercfg-url attribute',
      args: ['-a', 'dockercfg-url'],
      attributes: () => ({ 'google-dockercfg-url': undefined }),
      code: ERROR_KINDS.denied,
      error: 'no instance attribute google-dockercfg-url (404)',
    },
    {
      name: 'a malformed google-dockercfg',
      args: ['-a', 'dockercfg'],
      attributes: () => ({ 'google-dockercfg': '{"r.io":{"auth":"robot:s3cr3t-value"}}' }),
      code: ERROR_KINDS.usage,
      error: 'metadata attribute google-dockercfg is not a valid dockercfg: entry "r.io" has an auth field',
    },
    {
      name: 'a gs:// URL (upstream reads none either)',
      args: ['-a', 'dockercfg-url'],
      attributes: () => ({ 'google-dockercfg-url': 'gs://bucket/dockercfg' }),
      code: ERROR_KINDS.usage,
      error: 'metadata attribute google-dockercfg-url is a "gs" URL: only http and https are read',
    },
    {
      name: 'not a URL',
      args: ['-a', 'dockercfg-url'],
      attributes: () => ({ 'google-dockercfg-url': 'bucket/dockercfg' }),
      code: ERROR_KINDS.usage,
      error: 'metadata attribute google-dockercfg-url is not a URL',
    },
    {
      name: 'an expired signed URL',
      args: ['-a', 'dockercfg-url'],
      attributes: () => ({ 'google-dockercfg-url': g.cloud.storage.signedUrl(DOCKERCFG_OBJECT, -60) }),
      code: ERROR_KINDS.denied,
      error:
        'the google-dockercfg-url document (storage.googleapis.com) answered 400: ExpiredToken: Invalid argument. Request has expired.: a signed URL may have expired',
    },
    {
      name: 'a forged signature',
      args: ['-a', 'dockercfg-url'],
      attributes: () => ({
        'google-dockercfg-url': `https://storage.googleapis.com${DOCKERCFG_OBJECT}?X-Goog-Signature=${'ab'.repeat(32)}`,
      }),
      code: ERROR_KINDS.denied,
      error: 'answered 403: SignatureDoesNotMatch',
    },
    {
      name: 'an object that is not there',
      args: ['-a', 'dockercfg-url'],
      attributes: () => ({ 'google-dockercfg-url': g.cloud.storage.signedUrl('/node-config/missing.json') }),
      code: ERROR_KINDS.denied,
      error: 'answered 404: NoSuchKey: The specified key does not exist.: check the URL in google-dockercfg-url',
    },
    {
      name: 'a redirect (not followed)',
      args: ['-a', 'dockercfg-url'],
      attributes: () => ({ 'google-dockercfg-url': 'http://foo.bar.com/moved' }),
      code: ERROR_KINDS.denied,
      error: 'answered 302: status 302: redirects are not followed',
    },
    {
      name: 'a document that is not a dockercfg',
      args: ['-a', 'dockercfg-url'],
      attributes: () => {
        g.cloud.storageObjects['/node-config/bad.json'] = '{"r.io":{"username":"robot","password":"s3cr3t-value"';
        return { 'google-dockercfg-url': g.cloud.storage.signedUrl('/node-config/bad.json') };
      },
      code: ERROR_KINDS.usage,
      error:
        'the document https://storage.googleapis.com/node-config/bad.json (from google-dockercfg-url) is not a valid dockercfg: it is not JSON',
    },
    {
      name: 'a document over 1 MiB',
      args: ['-a', 'dockercfg-url'],
      attributes: () => {
        g.cloud.storageObjects['/node-config/huge.json'] = JSON.stringify({
          'r.io': { password: 'x'.repeat(1 << 20) },
        });
        return { 'google-dockercfg-url': g.cloud.storage.signedUrl('/node-config/huge.json') };
      },
      code: ERROR_KINDS.unavailable,
      error: 'the google-dockercfg-url document (storage.googleapis.com) sent an answer larger than 1048576 bytes',
    },
  ])('$name', async ({ args, attributes, code, error }) => {
    const set = attributes();
    const run = await withAttributes(set, () => dockercfg([...args, '--v=10']));
    expect(run.code, run.stderr).toBe(code);
    expect(run.stdout).toBe('');
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('E'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(error);
    expect(run.stderr).not.toContain('s3cr3t-value');
    const url = set['google-dockercfg-url'];
    if (url?.includes('X-Goog-Signature')) expect(run.stderr).not.toContain(signature(url));
  });

  it('at the default verbosity a failure is exactly one line', async () => {
    const run = await withAttributes({ 'google-dockercfg': undefined }, () => dockercfg(['-a', 'dockercfg']));
    expect(run.code).toBe(ERROR_KINDS.denied);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a success at --v=10 prints no password and no signature', async () => {
    const run = await dockercfg(['-a', 'dockercfg-url', '--v=10'], { env: { KUBE_SIDECAR_CACHE_TYPE: 'global' } });
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(run.response?.auth ?? {})).toHaveLength(Object.keys(NODE_DOCKERCFG).length);
    for (const secret of [
      KEY_LOGIN.password,
      ROBOT_LOGIN.password,
      signature(g.cloud.attributes['google-dockercfg-url'] ?? ''),
    ]) {
      expect(run.stderr).not.toContain(secret);
    }
    expect(run.stderr).toContain('credential from the node dockercfg');
  });
});

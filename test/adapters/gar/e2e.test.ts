/**
 * End to end: the credkit-gar binary exec-ed exactly as the kubelet execs it, reaching the fake
 * Google Cloud at real hostnames through the CONNECT proxy with the test CA, and a real registry
 * client (skopeo) pulling with what it returned. The kubelet's verdict is the judge.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RESOURCE_EXHAUSTED } from '../../../adapters/gar/fake/index.ts';
import { ERROR_KINDS } from '../../../core/index.ts';
import {
  skopeoInspect as inspectWithSkopeo,
  type KubeletRun,
  runLikeKubelet,
  startFakeIssuer,
} from '../../../core/testing/index.ts';
import { providerCommand } from '../../support/commands.ts';
import {
  CP,
  ENABLE,
  type GarWorld,
  IMAGE,
  KEY_LOGIN,
  NODE_SA,
  OTHER_REGISTRY,
  PULLER_GSA,
  ROBOT_LOGIN,
  resetCloud,
  startGarWorld,
  WIF_STS_AUDIENCE,
  WIF_TOKEN_AUDIENCE,
} from './world.ts';

let g: GarWorld;
beforeAll(async () => {
  g = await startGarWorld();
});
afterAll(() => g.close());
beforeEach(() => resetCloud(g.cloud));

// What GKE/kube-up put in `args` (research/gcp-gar.md §6), plus the workload identity variants.
const NODE_ARGS = ['get-credentials', '--v=3'];
const GKE_ARGS = [...NODE_ARGS, `--identity-provider=${CP}`, '--project-id=my-project'];
const WIF_ARGS = [...NODE_ARGS, `--sts-audience=${WIF_STS_AUDIENCE}`];

function kubelet(args: string[], rest: Omit<KubeletRun, 'command' | 'image'> & { image?: string }) {
  return runLikeKubelet({
    command: [...providerCommand('gar'), ...args],
    // The kubelet's own environment on a proxied node: the proxy and the extra CA, nothing else.
    inheritedEnv: { PATH: process.env.PATH, ...g.world.env },
    image: IMAGE,
    cacheType: 'ServiceAccount',
    ...rest,
  });
}
const mint = (audience: string, serviceAccount = 'puller', expiresInSeconds = 3600) =>
  g.world.issuer.mint({ audience, namespace: 'team', serviceAccount, expiresInSeconds });
const passwordOf = (result: Awaited<ReturnType<typeof kubelet>>) =>
  result.response?.auth?.['us-central1-docker.pkg.dev']?.password ?? '';

/** skopeo pulls the test image with `_token:<password>`; rejects (with skopeo's stderr) when refused. */
async function skopeoInspect(password: string) {
  const result = await inspectWithSkopeo(g.world, `${IMAGE}:latest`, { username: '_token', password });
  if (!result.ok) throw Object.assign(new Error('skopeo was refused'), { stderr: result.error });
  return result;
}

describe('credkit-gar as the kubelet runs it', () => {
  it('node identity: the metadata token, valid for the kubelet, cached below its lifetime', async () => {
    const result = await kubelet(NODE_ARGS, {});
    expect(result.exitCode).toBe(0);
    expect(result.verdict).toMatchObject({
      valid: true,
      cacheKey: 'us-central1-docker.pkg.dev',
      matchingKeys: ['us-central1-docker.pkg.dev'],
    });
    expect(result.verdict.cacheSeconds).toBeGreaterThan(0);
    expect(result.verdict.cacheSeconds).toBeLessThanOrEqual(3599 - 300);
    expect(g.cloud.whoIs(passwordOf(result))).toBe(NODE_SA);
    expect(g.world.proxy.count('metadata.google.internal')).toBeGreaterThan(0);
    await skopeoInspect(passwordOf(result));
    expect(g.cloud.pulls.at(-1)?.identity).toBe(NODE_SA);
  });

  it('upstream e2e plugin shape (gcr.io/foobar): _token, one document, trailing newline', async () => {
    const result = await kubelet(NODE_ARGS, { image: 'gcr.io/foobar' });
    expect(result.stdout).toMatch(
      /^\{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider\.kubelet\.k8s\.io\/v1","cacheKeyType":"Registry","cacheDuration":"5\dm\d+s","auth":\{"gcr\.io":\{"username":"_token","password":"ya29\.metadata-[\w-]+"\}\}\}\n$/,
    );
  });

  it.each(['v1beta1', 'v1alpha1'])('answers %s requests in kind', async (apiVersion) => {
    const result = await kubelet(NODE_ARGS, { apiVersion });
    expect(result.verdict.valid).toBe(true);
    expect(result.response?.apiVersion).toBe(`credentialprovider.kubelet.k8s.io/${apiVersion}`);
  });

  it('service account token -> STS (GKE workload identity)', async () => {
    const token = await mint('my-project.svc.id.goog');
    const result = await kubelet(GKE_ARGS, { serviceAccountToken: token, serviceAccountAnnotations: ENABLE });
    expect(result.verdict).toMatchObject({ valid: true, cacheKey: 'us-central1-docker.pkg.dev' });
    expect(g.cloud.whoIs(passwordOf(result))).toContain('/subject/ns/team/sa/puller');
    expect(g.world.proxy.count('sts.googleapis.com')).toBeGreaterThan(0);
    expect(g.cloud.metadata.calls()).toBe(0);
    expect(result.verdict.cacheSeconds).toBeGreaterThan(0);
    expect(result.verdict.cacheSeconds).toBeLessThanOrEqual(3600 - 300);
    expect(result.stderr).not.toContain(token);
  });

  it('service account token -> STS -> impersonation, and skopeo pulls with it', async () => {
    const result = await kubelet(WIF_ARGS, {
      serviceAccountToken: await mint(WIF_TOKEN_AUDIENCE),
      serviceAccountAnnotations: { 'iam.gke.io/gcp-service-account': PULLER_GSA },
    });
    expect(result.verdict.valid).toBe(true);
    expect(g.cloud.whoIs(passwordOf(result))).toBe(PULLER_GSA);
    expect(g.cloud.iamCredentials.calls('iam.generateAccessToken')).toBe(1);

    const { manifest } = await skopeoInspect(passwordOf(result));
    expect(manifest).toMatchObject({
      Digest: expect.stringMatching(/^sha256:/),
      Os: 'linux',
      Architecture: 'amd64',
    });
    expect(g.cloud.pulls.at(-1)).toEqual({
      host: 'us-central1-docker.pkg.dev',
      repository: 'my-project/my-repo/my-image',
      identity: PULLER_GSA,
    });
    expect(g.cloud.registry.calls('registry.token')).toBeGreaterThan(0);
  });

  it('two service accounts get two different tokens, and the registry tells them apart', async () => {
    const [puller, builder] = await Promise.all([
      kubelet(WIF_ARGS, { serviceAccountToken: await mint(WIF_TOKEN_AUDIENCE, 'puller') }),
      kubelet(WIF_ARGS, { serviceAccountToken: await mint(WIF_TOKEN_AUDIENCE, 'builder') }),
    ]);
    expect(passwordOf(puller)).not.toBe(passwordOf(builder));
    expect(g.cloud.whoIs(passwordOf(puller))).toMatch(/subject\/system:serviceaccount:team:puller$/);
    expect(g.cloud.whoIs(passwordOf(builder))).toMatch(/subject\/system:serviceaccount:team:builder$/);
    await skopeoInspect(passwordOf(builder));
    expect(g.cloud.pulls.at(-1)?.identity).toMatch(/team:builder$/);
  });

  it('the fake registry refuses a token it did not issue (skopeo fails)', async () => {
    await expect(skopeoInspect('ya29.made-up-token')).rejects.toMatchObject({
      stderr: expect.stringMatching(/unauthorized|authentication required|invalid credentials/i),
    });
  });

  it.each([
    {
      name: 'wrong audience',
      aud: 'sts.amazonaws.com',
      expires: 3600,
      error: 'this provider expects my-project.svc.id.goog',
    },
    { name: 'expired token', aud: 'my-project.svc.id.goog', expires: -300, error: 'expired' },
  ])('$name: exit non-zero, one line, zero network calls', async ({ aud, expires, error }) => {
    const connects = g.world.proxy.connects.length;
    const token = await mint(aud, 'puller', expires);
    const result = await kubelet(GKE_ARGS, { serviceAccountToken: token, serviceAccountAnnotations: ENABLE });
    expect(result.exitCode).toBe(ERROR_KINDS.token);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(error);
    expect(g.world.proxy.connects.length).toBe(connects);
  });

  // Upstream falls back to the node's service account for every pod that did not opt in, never
  // reading the token ("Fallback to Node SA", provider.go); the token is not judged on that path.
  it.each([
    { name: 'GKE mode, not opted in, another audience', args: GKE_ARGS, aud: 'sts.amazonaws.com', expires: 3600 },
    { name: 'GKE mode, not opted in, expired', args: GKE_ARGS, aud: 'my-project.svc.id.goog', expires: -3600 },
    {
      name: 'GKE mode, opt-in "false", another audience',
      args: GKE_ARGS,
      aud: 'other',
      expires: 3600,
      annotations: { 'iam.gke.io/enable-wi-image-pull': 'false' },
    },
    { name: 'node mode, another audience', args: NODE_ARGS, aud: 'api://AKSIdentityBinding', expires: 3600 },
  ])('$name: the token is ignored, the node answers', async ({ args, aud, expires, annotations }) => {
    const token = await mint(aud, 'puller', expires);
    const result = await kubelet(args, {
      serviceAccountToken: token,
      ...(annotations ? { serviceAccountAnnotations: annotations } : {}),
    });
    expect(result.exitCode).toBe(0);
    expect(result.verdict.valid).toBe(true);
    expect(g.cloud.whoIs(passwordOf(result))).toBe(NODE_SA);
    expect(g.cloud.sts.calls()).toBe(0);
    expect(result.stderr).toContain('service account token not used: ');
  });

  it('STS invalid_grant: one clear line, no secret, no fallback to the node', async () => {
    const forged = await (await startFakeIssuer()).mint({
      audience: WIF_TOKEN_AUDIENCE,
      namespace: 'team',
      serviceAccount: 'puller',
    });
    const result = await kubelet(['get-credentials', `--sts-audience=${WIF_STS_AUDIENCE}`], {
      serviceAccountToken: forged,
    });
    expect(result.exitCode).toBe(ERROR_KINDS.denied);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^E\d{4} .* credkit-gar\] STS refused the token of system:serviceaccount:team:puller .*400 invalid_grant/,
    );
    for (const part of forged.split('.')) expect(result.stderr).not.toContain(part);
    expect(g.cloud.metadata.calls()).toBe(0);
  });

  it('429 RESOURCE_EXHAUSTED x3 -> success', async () => {
    g.cloud.sts.faults.push('sts.token', RESOURCE_EXHAUSTED, 3);
    const result = await kubelet(WIF_ARGS, { serviceAccountToken: await mint(WIF_TOKEN_AUDIENCE) });
    expect(result.verdict.valid).toBe(true);
    expect(g.cloud.sts.calls('sts.token')).toBe(4);
  });

  it('a non-Google host: no credentials, 0s, and nothing sent anywhere', async () => {
    const connects = g.world.proxy.connects.length;
    const result = await kubelet(NODE_ARGS, { image: 'registry.k8s.io/pause' });
    expect(result.exitCode).toBe(0);
    expect(result.response?.auth).toBeUndefined();
    expect(result.response?.cacheDuration).toBe('0s');
    expect(result.verdict).toMatchObject({ valid: true, cacheSeconds: 0 });
    expect(g.world.proxy.connects.length).toBe(connects);
  });

  it.each<{ name: string; args: string[]; stdin?: string; env?: Record<string, string>; code: number; error: string }>([
    {
      name: 'a bad KUBE_SIDECAR_CACHE_TYPE (case-sensitive, as upstream)',
      args: NODE_ARGS,
      env: { KUBE_SIDECAR_CACHE_TYPE: 'Registry' },
      code: ERROR_KINDS.usage,
      error: 'KUBE_SIDECAR_CACHE_TYPE "Registry": Unknown cache key',
    },
    {
      name: 'a KUBE_SIDECAR_CACHE_DURATION without a unit',
      args: ['get-credentials', '-a', 'dockercfg'],
      env: { KUBE_SIDECAR_CACHE_DURATION: '60' },
      code: ERROR_KINDS.usage,
      error: 'KUBE_SIDECAR_CACHE_DURATION "60" is not a Go duration',
    },
    {
      name: 'a bad flow (case-sensitive)',
      args: ['get-credentials', '-a', 'Gcr'],
      code: ERROR_KINDS.usage,
      error: 'invalid value "Gcr" for authFlow',
    },
    {
      name: 'an unknown flag',
      args: ['get-credentials', '--scopes=x'],
      code: ERROR_KINDS.usage,
      error: "Unknown option '--scopes'",
    },
    {
      name: 'stdin that is not JSON',
      args: NODE_ARGS,
      stdin: 'not json',
      code: ERROR_KINDS.request,
      error: 'stdin is not a JSON CredentialProviderRequest',
    },
  ])('refuses $name with one line', async ({ args, stdin, env, code, error }) => {
    const result = await kubelet(args, { ...(stdin ? { stdin } : {}), ...(env ? { env } : {}) });
    expect(result.exitCode).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(error);
  });
});

// An administrator's registry logins on the instance (research/gcp-gar.md §1.2), as a kubelet config
// for them would say: matchImages for those registries, upstream's flag, nothing else.
describe('the dockercfg flows as the kubelet runs them', () => {
  const MATCH = [OTHER_REGISTRY, '*.pkg.dev'];
  const OTHER_IMAGE = `${OTHER_REGISTRY}/team/app`;

  it.each([
    { flow: 'dockercfg', image: OTHER_IMAGE, key: OTHER_REGISTRY, login: ROBOT_LOGIN },
    { flow: 'dockercfg', image: IMAGE, key: 'https://us-central1-docker.pkg.dev', login: KEY_LOGIN },
    { flow: 'dockercfg-url', image: OTHER_IMAGE, key: OTHER_REGISTRY, login: ROBOT_LOGIN },
    { flow: 'dockercfg-url', image: IMAGE, key: 'https://us-central1-docker.pkg.dev', login: KEY_LOGIN },
  ])('-a $flow, $image: the entry for it, valid, and skopeo pulls with it', async ({ flow, image, key, login }) => {
    const result = await kubelet(['get-credentials', '--v=3', '-a', flow], { image, matchImages: MATCH });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.verdict).toMatchObject({ valid: true, cacheKey: image, cacheSeconds: 0, matchingKeys: [key] });
    expect(result.response).toMatchObject({ cacheKeyType: 'Image', cacheDuration: '0s' });
    expect(result.response?.auth).toEqual({ [key]: { username: login.username, password: login.password } });
    expect(g.cloud.metadata.calls('metadata.token')).toBe(0);
    for (const secret of [KEY_LOGIN.password, ROBOT_LOGIN.password]) expect(result.stderr).not.toContain(secret);
    const pulled = await inspectWithSkopeo(g.world, `${image}:latest`, login);
    expect(pulled.ok, pulled.ok ? '' : pulled.error).toBe(true);
    expect(g.cloud.pulls.at(-1)?.identity).toBe(login.identity);
  });

  it('KUBE_SIDECAR_CACHE_TYPE=global and KUBE_SIDECAR_CACHE_DURATION=1h in the config env: every entry, cached an hour', async () => {
    const result = await kubelet(['get-credentials', '-a', 'dockercfg-url'], {
      image: OTHER_IMAGE,
      matchImages: MATCH,
      env: { KUBE_SIDECAR_CACHE_TYPE: 'global', KUBE_SIDECAR_CACHE_DURATION: '1h' },
    });
    expect(result.verdict).toMatchObject({ valid: true, cacheKey: '<global>', cacheSeconds: 3600 });
    expect(result.stdout).toMatch(/"cacheKeyType":"Global","cacheDuration":"1h0m0s"/);
    expect(Object.keys(result.response?.auth ?? {}).sort()).toEqual([
      'https://us-central1-docker.pkg.dev',
      OTHER_REGISTRY,
    ]);
  });

  it('gcr flow with KUBE_SIDECAR_CACHE_DURATION=10m: the token, cached 10 minutes', async () => {
    const result = await kubelet(NODE_ARGS, { env: { KUBE_SIDECAR_CACHE_DURATION: '10m' } });
    expect(result.verdict).toMatchObject({ valid: true, cacheSeconds: 600 });
    expect(result.response?.cacheDuration).toBe('10m0s');
    expect(g.cloud.whoIs(passwordOf(result))).toBe(NODE_SA);
  });

  it('an image no entry names: no auth and 0s, after reading the attribute', async () => {
    const result = await kubelet(['get-credentials', '-a', 'dockercfg'], { image: 'eu.gcr.io/p/app' });
    expect(result.exitCode).toBe(0);
    expect(result.response?.auth).toBeUndefined();
    expect(result.verdict).toMatchObject({ valid: true, cacheSeconds: 0 });
  });

  it('no google-dockercfg on the instance: exit 5, one line with the fix', async () => {
    const saved = g.cloud.attributes['google-dockercfg'];
    delete g.cloud.attributes['google-dockercfg'];
    try {
      const result = await kubelet(['get-credentials', '-a', 'dockercfg'], { image: OTHER_IMAGE });
      expect(result.exitCode).toBe(ERROR_KINDS.denied);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('no instance attribute google-dockercfg (404)');
    } finally {
      g.cloud.attributes['google-dockercfg'] = saved as string;
    }
  });
});

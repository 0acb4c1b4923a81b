/**
 * End to end: the credkit-quay binary exec-ed exactly as the kubelet execs it, reaching the fake
 * Quay at quay.io (and a self-hosted host) through the CONNECT proxy with the test CA, and a real
 * registry client (skopeo) reading a manifest with what it returned. The kubelet's verdict judges
 * the answer; the fake verifies every token it is given, so a wrong flow cannot pass by accident.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SERVICE_UNAVAILABLE, TOO_MANY_REQUESTS } from '../../../adapters/quay/fake/index.ts';
import { ERROR_KINDS } from '../../../core/index.ts';
import { type KubeletResult, type KubeletRun, runLikeKubelet, skopeoInspect } from '../../../core/testing/index.ts';
import { providerCommand } from '../../support/commands.ts';
import { BUILDER, CI, IMAGE, PULLER, type QuayWorld, SELF_HOSTED, startQuayWorld } from './world.ts';

let q: QuayWorld;
beforeAll(async () => {
  q = await startQuayWorld();
});
afterAll(() => q.close());
beforeEach(() => q.reset());

const robot = (name: string) => ({ 'quay.io/robot': name });

function kubelet(rest: Omit<KubeletRun, 'command' | 'image'> & { image?: string; args?: string[] }) {
  const { args = [], ...run } = rest;
  return runLikeKubelet({
    command: [...providerCommand('quay'), ...args],
    // The kubelet's own environment on a proxied node: the proxy and the extra CA, nothing else.
    inheritedEnv: { PATH: process.env.PATH, ...q.world.env },
    image: IMAGE,
    cacheType: 'ServiceAccount',
    matchImages: ['quay.io', SELF_HOSTED],
    ...run,
  });
}

function credentialOf(result: KubeletResult, key: string) {
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.verdict).toMatchObject({ valid: true, cacheKey: key, matchingKeys: [key] });
  return result.response?.auth?.[key] as { username: string; password: string };
}

/** Every secret a run could print: the pod token, its signature alone, every robot token issued. */
function secretsOf(token: string): string[] {
  const issued = [...q.quay.issued, ...q.selfHosted.issued].map((entry) => entry.token);
  return [token, token.split('.')[2] as string, ...issued, ...issued.map((t) => t.split('.')[2] as string)];
}

describe('credkit-quay as the kubelet runs it', () => {
  it('pod token -> robot token on quay.io, cached below its hour, and skopeo reads the manifest', async () => {
    const result = await kubelet({ serviceAccountToken: await q.mint(), serviceAccountAnnotations: robot(PULLER) });
    const credential = credentialOf(result, 'quay.io');
    expect(credential.username).toBe(PULLER);
    expect(q.quay.whoIs(credential.password)).toBe(PULLER);
    expect(result.verdict.cacheSeconds).toBeGreaterThan(3600 - 300 - 30);
    expect(result.verdict.cacheSeconds).toBeLessThanOrEqual(3600 - 300);
    expect(q.world.proxy.count('quay.io')).toBeGreaterThan(0);

    const inspected = await skopeoInspect(q.world, `${IMAGE}:latest`, credential);
    expect(inspected.ok, inspected.error).toBe(true);
    expect(inspected.manifest).toMatchObject({ Digest: expect.stringMatching(/^sha256:/), Os: 'linux' });
    expect(q.quay.pulls.at(-1)).toEqual({ host: 'quay.io', repository: 'acme/app', robot: PULLER });
    expect(q.quay.server.calls('registry.auth')).toBeGreaterThan(0);
  });

  it('the registry refuses what the binary did not get from Quay (skopeo fails)', async () => {
    const inspected = await skopeoInspect(q.world, `${IMAGE}:latest`, { username: PULLER, password: await q.mint() });
    expect(inspected.ok).toBe(false);
    expect(inspected.error).toMatch(/unauthorized|authentication required|invalid username or password/i);
  });

  it('self-hosted Red Hat Quay through --registry, audience its host', async () => {
    const image = `${SELF_HOSTED}/platform/tool`;
    const result = await kubelet({
      args: [`--registry=${SELF_HOSTED}`],
      image,
      serviceAccountToken: await q.mint('app', { audience: SELF_HOSTED }),
      serviceAccountAnnotations: robot(CI),
    });
    const credential = credentialOf(result, SELF_HOSTED);
    expect(q.selfHosted.whoIs(credential.password)).toBe(CI);
    const inspected = await skopeoInspect(q.world, `${image}:v1`, credential);
    expect(inspected.ok, inspected.error).toBe(true);
    expect(q.selfHosted.pulls.at(-1)).toEqual({ host: SELF_HOSTED, repository: 'platform/tool', robot: CI });
  });

  it('two service accounts, two robots: the registry tells them apart', async () => {
    const [puller, builder] = await Promise.all([
      kubelet({ serviceAccountToken: await q.mint('app'), serviceAccountAnnotations: robot(PULLER) }),
      kubelet({ serviceAccountToken: await q.mint('builder'), serviceAccountAnnotations: robot(BUILDER) }),
    ]);
    const builderCredential = credentialOf(builder, 'quay.io');
    expect(credentialOf(puller, 'quay.io').password).not.toBe(builderCredential.password);
    expect(q.quay.whoIs(builderCredential.password)).toBe(BUILDER);
    expect((await skopeoInspect(q.world, `${IMAGE}:latest`, builderCredential)).ok).toBe(true);
    expect(q.quay.pulls.at(-1)?.robot).toBe(BUILDER);
  });

  it.each(['v1beta1', 'v1alpha1'])('a %s request (no token possible): a valid empty answer', async (apiVersion) => {
    const result = await kubelet({ apiVersion });
    expect(result.verdict).toMatchObject({ valid: true, cacheSeconds: 0 });
    expect(result.response?.apiVersion).toBe(`credentialprovider.kubelet.k8s.io/${apiVersion}`);
    expect(result.response?.auth).toBeUndefined();
  });

  it('an image on another registry: no credentials, 0s, nothing sent anywhere', async () => {
    const connects = q.world.proxy.connects.length;
    const result = await kubelet({
      image: 'registry.k8s.io/pause',
      matchImages: ['registry.k8s.io'],
      serviceAccountToken: await q.mint(),
      serviceAccountAnnotations: robot(PULLER),
    });
    expect(result).toMatchObject({ exitCode: 0, response: { cacheDuration: '0s' } });
    expect(result.response?.auth).toBeUndefined();
    expect(q.world.proxy.connects.length).toBe(connects);
  });
});

describe('failures as the kubelet sees them', () => {
  interface Case {
    name: string;
    token?: { serviceAccount?: string; audience?: string; expiresInSeconds?: number };
    annotations?: Record<string, string>;
    fault?: { fault: object; times: number };
    exitCode: number;
    /** The one error line, or undefined for a valid answer. */
    stderr?: RegExp;
    /** Calls to Quay's federation endpoint. */
    calls: number;
    /** Whether the answer carries the credential. */
    auth?: boolean;
  }
  const cases: Case[] = [
    { name: 'no annotation: anonymous, 0s', token: {}, exitCode: 0, calls: 0 },
    { name: 'no token at all: anonymous, 0s', exitCode: 0, calls: 0 },
    {
      name: 'no annotation: the token is not judged (expired, other audience), anonymous',
      token: { audience: 'sts.amazonaws.com', expiresInSeconds: -300 },
      exitCode: 0,
      calls: 0,
    },
    {
      name: 'bad robot name',
      token: {},
      annotations: robot('acme/puller'),
      exitCode: ERROR_KINDS.request,
      stderr:
        /annotation quay\.io\/robot of system:serviceaccount:team:app: "acme\/puller" is not a Quay robot account name/,
      calls: 0,
    },
    {
      name: 'federation refused (no matching config)',
      token: { serviceAccount: 'intruder' },
      annotations: robot(PULLER),
      exitCode: ERROR_KINDS.denied,
      stderr:
        /Quay robot federation \(quay\.io\) answered 400: Token does not match robot: add a federation entry to robot acme\+puller: issuer https:\/\/oidc\.credkit\.test, subject system:serviceaccount:team:intruder/,
      calls: 1,
    },
    {
      name: 'wrong audience',
      token: { audience: 'sts.amazonaws.com' },
      annotations: robot(PULLER),
      exitCode: ERROR_KINDS.token,
      stderr: /this provider expects quay\.io/,
      calls: 0,
    },
    {
      name: 'expired token',
      token: { expiresInSeconds: -300 },
      annotations: robot(PULLER),
      exitCode: ERROR_KINDS.token,
      stderr: /expired/,
      calls: 0,
    },
    {
      name: 'Quay 5xx then success',
      token: {},
      annotations: robot(PULLER),
      fault: { fault: SERVICE_UNAVAILABLE, times: 1 },
      exitCode: 0,
      calls: 2,
      auth: true,
    },
    {
      name: 'Quay 429 with Retry-After, then success',
      token: {},
      annotations: robot(PULLER),
      fault: { fault: TOO_MANY_REQUESTS, times: 2 },
      exitCode: 0,
      calls: 3,
      auth: true,
    },
  ];

  describe.each(['--v=0', '--v=10'])('at %s', (verbosity) => {
    it.each(cases)('$name', async (c) => {
      if (c.fault) q.quay.server.faults.push('federation.token', c.fault.fault, c.fault.times);
      const token = c.token ? await q.mint(c.token.serviceAccount, c.token) : undefined;
      const result = await kubelet({
        args: [verbosity],
        ...(token ? { serviceAccountToken: token } : {}),
        ...(c.annotations ? { serviceAccountAnnotations: c.annotations } : {}),
      });
      expect(result.exitCode, result.stderr).toBe(c.exitCode);
      const errors = result.stderr.split('\n').filter((line) => line.startsWith('E'));
      if (c.stderr) {
        expect(result.stdout).toBe('');
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(c.stderr);
        if (verbosity === '--v=0') expect(result.stderr.trim().split('\n')).toHaveLength(1);
      } else {
        expect(errors).toHaveLength(0);
        expect(result.verdict.valid).toBe(true);
        expect(result.response?.auth !== undefined).toBe(c.auth ?? false);
        if (!c.auth) expect(result.response?.cacheDuration).toBe('0s');
      }
      // At --v=10 the exec tells its story, so the secret checks below read a full log.
      if (verbosity === '--v=10' && c.auth) expect(result.stderr).toContain('robot token from Quay');
      expect(q.quay.server.calls('federation.token')).toBe(c.calls);
      for (const secret of token ? secretsOf(token) : []) expect(result.stderr).not.toContain(secret);
      expect(result.stderr).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
      expect(result.stderr).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
    });
  });
});

/**
 * The node installer (deploy/): the committed manifests are what deploy/render.ts makes now, every
 * document is valid against the Kubernetes API schemas (strictly: a misspelled field fails), the
 * pods get the security context copying needs and nothing more, the kubelet config they carry is one
 * the kubelet loads, and install.sh, the init container's one step, copies as the kubelet needs.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { decodeCredentialProviderConfig, validateCredentialProviderConfig } from '../../core/config.ts';
import { installerImage } from '../../deploy/manifest.ts';
import { installedBinary, PROFILES } from '../../deploy/profiles.ts';
import { profilePath, renderProfile } from '../../deploy/render.ts';
import { ROOT } from '../../scripts/binaries.ts';
import { type KubernetesValidator, kubernetesValidator } from '../support/kubernetes-schema.ts';

const documentsOf = (text: string) => parseAllDocuments(text).map((document) => document.toJS());
const committed = (name: string) => documentsOf(readFileSync(join(ROOT, 'deploy', `${name}.yaml`), 'utf8'));
const daemonSetOf = (docs: unknown[]) => docs.find((d) => (d as DaemonSet).kind === 'DaemonSet') as DaemonSet;

let validate: KubernetesValidator;
beforeAll(() => {
  validate = kubernetesValidator();
  validate({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'warm-up' } });
}, 120_000);

describe.each(PROFILES)('deploy/ $name installer ($platform)', (profile) => {
  it('is what deploy/render.ts renders (run npm run deploy:render after a change)', async () => {
    expect(readFileSync(profilePath(profile), 'utf8')).toBe(await renderProfile(profile));
  });

  it('every document is valid against the Kubernetes API schema, strictly', () => {
    const docs = committed(profile.name);
    expect(docs.map((doc) => (doc as { kind: string }).kind)).toEqual(['Namespace', 'ConfigMap', 'DaemonSet']);
    for (const doc of docs) expect(validate(doc)).toEqual([]);
  });

  it('the init container may write the provider directory and nothing more', () => {
    const pod = daemonSetOf(committed(profile.name)).spec?.template.spec;
    const [init] = pod?.initContainers ?? [];
    expect(init?.securityContext).toEqual({
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
    });
    expect(init?.image).toBe(installerImage());
    expect(
      pod?.containers.map((c) => [c.name, c.securityContext?.runAsNonRoot, c.securityContext?.capabilities]),
    ).toEqual([['pause', true, { drop: ['ALL'] }]]);
    expect(pod?.hostNetwork ?? false).toBe(false);
    expect(pod?.hostPID ?? false).toBe(false);
    expect(pod?.automountServiceAccountToken).toBe(false);
    const hostPaths = (pod?.volumes ?? []).filter((volume) => volume.hostPath).map((volume) => volume.hostPath);
    expect(hostPaths).toEqual([{ path: profile.binDir, type: 'Directory' }]);
    expect(init?.env).toContainEqual({ name: 'CREDKIT_INSTALL_AS', value: installedBinary(profile.cloud).installAs });
  });

  it('carries a kubelet config the kubelet loads, naming the binary it installs', () => {
    const configMap = committed(profile.name).find((d) => (d as ConfigMap).kind === 'ConfigMap') as ConfigMap;
    const text = configMap.data?.['credential-provider-config.yaml'] ?? '';
    const { providers } = decodeCredentialProviderConfig(text);
    expect(validateCredentialProviderConfig(providers)).toEqual([]);
    expect(providers.map((provider) => provider.name)).toEqual([installedBinary(profile.cloud).installAs]);
  });
});

describe('the schema check fails on what the API server would refuse', () => {
  type PodSpec = NonNullable<NonNullable<DaemonSet['spec']>['template']['spec']>;
  const mutate = (change: (pod: PodSpec) => void) => {
    const daemonSet = structuredClone(daemonSetOf(committed('eks')));
    change(daemonSet.spec!.template.spec!);
    return daemonSet;
  };
  const cases: Array<{ name: string; document: unknown; says: string }> = [
    {
      name: 'a misspelled field',
      document: mutate((pod) => {
        Object.assign(pod.initContainers![0]!.securityContext!, { readOnlyRootFileSystem: true });
      }),
      says: '/spec/template/spec/initContainers/0/securityContext must NOT have additional properties "readOnlyRootFileSystem"',
    },
    {
      name: 'a wrong type',
      document: mutate((pod) => {
        Object.assign(pod.initContainers![0]!.securityContext!, { runAsUser: '0' });
      }),
      says: '/spec/template/spec/initContainers/0/securityContext/runAsUser must be number',
    },
    {
      name: 'a list given as one object',
      document: mutate((pod) => {
        Object.assign(pod, { tolerations: { operator: 'Exists' } });
      }),
      says: '/spec/template/spec/tolerations must be array',
    },
    {
      name: 'a missing required field',
      document: mutate((pod) => {
        delete (pod.containers[0] as { name?: string }).name;
      }),
      says: "/spec/template/spec/containers/0 must have required property 'name'",
    },
    {
      name: 'a kind the API does not have',
      document: { apiVersion: 'apps/v1', kind: 'DaemonSets', metadata: { name: 'x' } },
      says: 'no schema for apiVersion apps/v1, kind DaemonSets',
    },
  ];
  it.each(cases)('$name', ({ document, says }) => {
    expect(validate(document)).toContain(says);
  });
});

const exec = promisify(execFile);
const INSTALL = join(ROOT, 'deploy', 'install.sh');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const worlds: string[] = [];
afterAll(() => {
  for (const root of worlds) rmSync(root, { recursive: true, force: true });
});

/** A fake image (binaries, config) and a fake host directory, then install.sh as the init container runs it. */
function installerWorld() {
  const root = mkdtempSync(join(tmpdir(), 'credkit-install-'));
  worlds.push(root);
  const image = join(root, 'opt', 'credkit', 'bin');
  const host = join(root, 'host');
  mkdirSync(image, { recursive: true });
  mkdirSync(host);
  writeFileSync(join(image, 'credkit-ecr'), '#!/bin/sh\necho credkit-ecr\n');
  writeFileSync(join(image, 'credkit-acr'), '#!/bin/sh\necho credkit-acr\n');
  // As credkit-node does: answers to the name it is run under.
  writeFileSync(join(image, 'credkit-node'), '#!/bin/sh\necho "credkit-node as $(basename "$0")"\n');
  const config = join(root, 'config.yaml');
  writeFileSync(config, 'apiVersion: kubelet.config.k8s.io/v1\n');
  const run = async (env: Record<string, string>): Promise<Run> => {
    const base = { PATH: '/usr/bin:/bin', CREDKIT_SOURCE_DIR: image, CREDKIT_HOST_DIR: host, CREDKIT_CONFIG: config };
    try {
      const { stdout, stderr } = await exec('sh', [INSTALL], { env: { ...base, ...env } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  return { root, image, host, config, run };
}

describe('deploy/install.sh, the init container', () => {
  it('installs the binary under the upstream name (0755) and the config in credkit/', async () => {
    const world = installerWorld();
    const result = await world.run({ CREDKIT_BINARY: 'credkit-ecr', CREDKIT_INSTALL_AS: 'ecr-credential-provider' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const installed = join(world.host, 'ecr-credential-provider');
    expect(readFileSync(installed, 'utf8')).toBe(readFileSync(join(world.image, 'credkit-ecr'), 'utf8'));
    expect(statSync(installed).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(world.host, 'credkit', 'credential-provider-config.yaml'), 'utf8')).toBe(
      readFileSync(world.config, 'utf8'),
    );
    // Nothing half-written or temporary is left where the kubelet looks.
    expect(readdirSync(world.host).sort()).toEqual(['credkit', 'ecr-credential-provider']);
  });

  it('keeps the upstream binary once for a rollback, and a second run changes nothing', async () => {
    const world = installerWorld();
    const upstream = join(world.host, 'ecr-credential-provider');
    writeFileSync(upstream, 'upstream binary');
    chmodSync(upstream, 0o755);
    const env = { CREDKIT_BINARY: 'credkit-ecr', CREDKIT_INSTALL_AS: 'ecr-credential-provider' };
    expect((await world.run(env)).code).toBe(0);
    const kept = join(world.host, 'credkit', 'ecr-credential-provider.upstream');
    expect(readFileSync(kept, 'utf8')).toBe('upstream binary');
    const again = await world.run(env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`unchanged ${upstream}`);
    expect(readFileSync(kept, 'utf8')).toBe('upstream binary');
  });

  it('several names: one copy in credkit/, a relative link per name, each runs as its name', async () => {
    const world = installerWorld();
    const upstream = join(world.host, 'ecr-credential-provider');
    writeFileSync(upstream, 'upstream binary');
    chmodSync(upstream, 0o755);
    const env = { CREDKIT_BINARY: 'credkit-node', CREDKIT_INSTALL_AS: 'ecr-credential-provider  credkit-quay' };
    const result = await world.run(env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(readdirSync(world.host).sort()).toEqual(['credkit', 'credkit-quay', 'ecr-credential-provider']);
    expect(readdirSync(join(world.host, 'credkit')).sort()).toEqual([
      'credential-provider-config.yaml',
      'credkit-node',
      'ecr-credential-provider.upstream',
    ]);
    for (const name of ['ecr-credential-provider', 'credkit-quay']) {
      expect(readlinkSync(join(world.host, name))).toBe('credkit/credkit-node');
      expect((await exec(join(world.host, name))).stdout).toBe(`credkit-node as ${name}\n`);
    }
    expect(readFileSync(join(world.host, 'credkit', 'ecr-credential-provider.upstream'), 'utf8')).toBe(
      'upstream binary',
    );
    const again = await world.run(env);
    expect(again.code).toBe(0);
    expect(
      again.stdout
        .trim()
        .split('\n')
        .every((line) => line.startsWith('unchanged ')),
    ).toBe(true);
  });

  it('back from links to one per-cloud binary: the link is replaced by the file', async () => {
    const world = installerWorld();
    await world.run({ CREDKIT_BINARY: 'credkit-node', CREDKIT_INSTALL_AS: 'ecr-credential-provider credkit-acr' });
    const result = await world.run({ CREDKIT_BINARY: 'credkit-ecr', CREDKIT_INSTALL_AS: 'ecr-credential-provider' });
    expect(result.code).toBe(0);
    const installed = join(world.host, 'ecr-credential-provider');
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(readFileSync(installed, 'utf8')).toBe(readFileSync(join(world.image, 'credkit-ecr'), 'utf8'));
  });

  it('without a config mounted, installs the binary alone', async () => {
    const world = installerWorld();
    const result = await world.run({ CREDKIT_BINARY: 'credkit-acr', CREDKIT_CONFIG: join(world.root, 'none.yaml') });
    expect(result.code).toBe(0);
    expect(existsSync(join(world.host, 'credkit-acr'))).toBe(true);
    expect(existsSync(join(world.host, 'credkit', 'credential-provider-config.yaml'))).toBe(false);
  });

  const refusals: Array<{
    name: string;
    env: (world: ReturnType<typeof installerWorld>) => Record<string, string>;
    says: string;
  }> = [
    {
      name: 'no binary named',
      env: () => ({}),
      says: 'set CREDKIT_BINARY to one of: credkit-acr credkit-ecr credkit-node',
    },
    {
      name: 'a binary the image lacks',
      env: () => ({ CREDKIT_BINARY: 'credkit-quay' }),
      says: 'this image has no credkit-quay (it has: credkit-acr credkit-ecr credkit-node',
    },
    {
      name: 'names that are only spaces',
      env: () => ({ CREDKIT_BINARY: 'credkit-node', CREDKIT_INSTALL_AS: '   ' }),
      says: 'CREDKIT_INSTALL_AS is empty',
    },
    {
      name: 'a glob among several names (never expanded)',
      env: () => ({ CREDKIT_BINARY: 'credkit-node', CREDKIT_INSTALL_AS: 'credkit-ecr .*' }),
      says: 'CREDKIT_INSTALL_AS must be a file name, got ".*"',
    },
    {
      name: 'a name with a slash',
      env: () => ({ CREDKIT_BINARY: 'credkit-ecr', CREDKIT_INSTALL_AS: '../kubelet' }),
      says: 'CREDKIT_INSTALL_AS must be a file name, got "../kubelet"',
    },
    {
      name: 'the host directory not mounted',
      env: (world) => ({ CREDKIT_BINARY: 'credkit-ecr', CREDKIT_HOST_DIR: join(world.root, 'missing') }),
      says: "is not mounted: mount the kubelet's --image-credential-provider-bin-dir there",
    },
  ];
  it.each(refusals)('$name: exit 1, one line, nothing written', async ({ env, says }) => {
    const world = installerWorld();
    const result = await world.run(env(world));
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(says);
    expect(readdirSync(world.host)).toEqual([]);
  });
});

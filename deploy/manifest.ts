/**
 * The node installer for one platform: a DaemonSet whose init container copies a credkit binary (and
 * the reference kubelet config) into the directory the platform's kubelet already execs providers
 * from, then a pause container keeps the pod, and so the rollout status, alive. The init container
 * gets what copying into a root-owned host directory needs and nothing more: uid 0 (the directory is
 * root's, mode 0755), no capabilities, no privilege escalation, a read-only root filesystem, and one
 * hostPath, the provider directory itself. It restarts no kubelet: the kubelet execs the binary anew
 * on every pull, so a replaced binary serves the next pull.
 */
import { readFileSync } from 'node:fs';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Namespace, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { NodeProfile } from './profiles.ts';

export const NAMESPACE = 'credkit-system';
/** registry.k8s.io/pause, the image the kubelet itself uses for pod sandboxes (Kubernetes 1.31+). */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
/** Where deploy/Containerfile puts things, and where the pod mounts the host directory and config. */
export const IMAGE_PATHS = {
  binaries: '/opt/credkit/bin',
  hostDir: '/host/provider-dir',
  config: '/etc/credkit/credential-provider-config.yaml',
} as const;

export type InstallerObject = Namespace | ConfigMap | DaemonSet;

interface PackageJson {
  version: string;
  repository?: string | { url?: string };
}

const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as PackageJson;

/**
 * The installer image the release workflow pushes: ghcr.io/<owner>/credkit-installer:<version>, the
 * owner taken from package.json's GitHub repository (the workflow asks this function for the name).
 */
export function installerImage(pkg: PackageJson = PACKAGE): string {
  const url = typeof pkg.repository === 'string' ? pkg.repository : (pkg.repository?.url ?? '');
  const owner = /github\.com[/:]([^/]+)\//.exec(url)?.[1]?.toLowerCase() ?? 'credkit';
  return `ghcr.io/${owner}/credkit-installer:${pkg.version}`;
}

export interface InstallerOptions {
  profile: Pick<NodeProfile, 'binDir'>;
  /** The binary, and the file name(s) it gets in binDir (several, space-separated: credkit-node's links). */
  binary: string;
  installAs: string;
  /** The kubelet CredentialProviderConfig (YAML) copied beside the binary. */
  kubeletConfig: string;
  image?: string;
}

export function installerObjects(options: InstallerOptions): InstallerObject[] {
  const { binary } = options;
  const labels = {
    'app.kubernetes.io/name': 'credkit-installer',
    'app.kubernetes.io/instance': binary,
    'app.kubernetes.io/version': PACKAGE.version,
  };
  const configMap: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${binary}-config`, namespace: NAMESPACE, labels },
    data: { 'credential-provider-config.yaml': options.kubeletConfig },
  };
  return [namespace(), configMap, daemonSet(binary, labels, options)];
}

function namespace(): Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: NAMESPACE,
      // A hostPath volume is outside the baseline Pod Security Standard, so this namespace, and only
      // it, enforces the privileged level; its only pods are these installers.
      labels: { 'pod-security.kubernetes.io/enforce': 'privileged' },
    },
  };
}

const LOCKED_DOWN: SecurityContext = {
  privileged: false,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

function daemonSet(binary: string, labels: Record<string, string>, options: InstallerOptions): DaemonSet {
  const selector = {
    'app.kubernetes.io/name': labels['app.kubernetes.io/name'] as string,
    'app.kubernetes.io/instance': binary,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: `${binary}-installer`, namespace: NAMESPACE, labels },
    spec: {
      selector: { matchLabels: selector },
      // Each pod only copies files: rolling a quarter of the nodes at a time costs nothing.
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          // Every node pulls images, tainted ones too.
          tolerations: [{ operator: 'Exists' }],
          terminationGracePeriodSeconds: 5,
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          initContainers: [
            {
              name: 'install',
              image: options.image ?? installerImage(),
              imagePullPolicy: 'IfNotPresent',
              env: [
                { name: 'CREDKIT_BINARY', value: binary },
                { name: 'CREDKIT_INSTALL_AS', value: options.installAs },
                { name: 'CREDKIT_HOST_DIR', value: IMAGE_PATHS.hostDir },
                { name: 'CREDKIT_CONFIG', value: IMAGE_PATHS.config },
              ],
              // uid 0 only because the host directory is root's (0755); every capability is dropped,
              // so it can write there and nowhere else.
              securityContext: { ...LOCKED_DOWN, runAsUser: 0, runAsGroup: 0, runAsNonRoot: false },
              // Copying ~110 MB goes through the page cache, which counts against the limit.
              resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
              volumeMounts: [
                { name: 'provider-dir', mountPath: IMAGE_PATHS.hostDir },
                { name: 'config', mountPath: IMAGE_PATHS.config.replace(/\/[^/]+$/, ''), readOnly: true },
              ],
            },
          ],
          containers: [
            {
              name: 'pause',
              image: PAUSE_IMAGE,
              securityContext: { ...LOCKED_DOWN, runAsUser: 65535, runAsGroup: 65535, runAsNonRoot: true },
              resources: { requests: { cpu: '1m', memory: '8Mi' }, limits: { memory: '16Mi' } },
            },
          ],
          volumes: [
            // type Directory: the kubelet must already point at it; a missing one fails the pod
            // visibly instead of creating a directory no kubelet reads.
            { name: 'provider-dir', hostPath: { path: options.profile.binDir, type: 'Directory' } },
            { name: 'config', configMap: { name: `${binary}-config` } },
          ],
        },
      },
    },
  };
}

/**
 * Where each managed platform's kubelet already execs credential providers from: the node installer
 * (deploy/<platform>.yaml) drops the adapter's binary into that directory under the upstream
 * binary's name (the descriptor's `dropInFor`), so the kubelet config the platform wrote keeps
 * working unchanged. Facts from the platforms' own node bootstrap (shared research notes, section
 * "How <cloud> installs").
 */
import { adapterNamed } from '../adapters/index.ts';

export interface NodeProfile {
  /** deploy/<name>.yaml */
  name: string;
  platform: string;
  /** The registered adapter (adapters/index.ts) whose binary serves this platform's registry. */
  cloud: string;
  /** The platform kubelet's --image-credential-provider-bin-dir. */
  binDir: string;
  /** The platform kubelet's --image-credential-provider-config (left untouched; for the docs). */
  kubeletConfig: string;
  /** Where the paths come from. */
  source: string;
}

export const PROFILES: NodeProfile[] = [
  {
    name: 'eks',
    platform: 'Amazon EKS (AL2023 AMIs, nodeadm)',
    cloud: 'ecr',
    binDir: '/etc/eks/image-credential-provider',
    kubeletConfig: '/etc/eks/image-credential-provider/config.json',
    source: 'awslabs/amazon-eks-ami:nodeadm/internal/kubelet/image-credential-provider.go',
  },
  {
    name: 'aks',
    platform: 'Azure AKS (AgentBaker nodes)',
    cloud: 'acr',
    binDir: '/var/lib/kubelet/credential-provider',
    kubeletConfig: '/var/lib/kubelet/credential-provider-config.yaml',
    source: 'Azure/AgentBaker:parts/linux/cloud-init/artifacts/cse_config_kubelet.sh',
  },
  {
    name: 'gke',
    platform: 'Google GKE Standard (and kube-up GCE nodes)',
    cloud: 'gar',
    binDir: '/home/kubernetes/bin',
    kubeletConfig: '/home/kubernetes/cri-auth-config.yaml',
    source: 'kubernetes/kubernetes:cluster/gce/gci/configure.sh (install-auth-provider-gcp)',
  },
];

/** The binary a profile installs and the name it installs it under (the upstream's, else its own). */
export function installedBinary(cloud: string): { binary: string; installAs: string } {
  const adapter = adapterNamed(cloud);
  if (!adapter) throw new Error(`no registered adapter ${JSON.stringify(cloud)} (adapters/index.ts)`);
  return { binary: adapter.binary, installAs: adapter.dropInFor ?? adapter.binary };
}

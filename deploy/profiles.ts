/**
 * Where each managed platform's kubelet already execs credential providers from, and under which
 * name: the node installer (deploy/<platform>.yaml) drops a credkit binary into that directory under
 * the upstream binary's name, so the kubelet config the platform wrote keeps working unchanged.
 * Facts from the platforms' own node bootstrap (shared research notes, section "How <cloud> installs").
 */
export interface NodeProfile {
  /** deploy/<name>.yaml */
  name: string;
  platform: string;
  /** The adapter whose binary serves this platform's registry. */
  cloud: string;
  /** The platform kubelet's --image-credential-provider-bin-dir. */
  binDir: string;
  /** The platform kubelet's --image-credential-provider-config (left untouched; for the docs). */
  kubeletConfig: string;
  /** The provider name in that config: the upstream binary credkit replaces by name. */
  installAs: string;
  /** Where the paths come from. */
  source: string;
}

// The upstream names will come from the adapters' descriptors (binary name, drop-in name) once they
// exist; the directories are the platforms' and stay here.
export const PROFILES: NodeProfile[] = [
  {
    name: 'eks',
    platform: 'Amazon EKS (AL2023 AMIs, nodeadm)',
    cloud: 'ecr',
    binDir: '/etc/eks/image-credential-provider',
    kubeletConfig: '/etc/eks/image-credential-provider/config.json',
    installAs: 'ecr-credential-provider',
    source: 'awslabs/amazon-eks-ami:nodeadm/internal/kubelet/image-credential-provider.go',
  },
  {
    name: 'aks',
    platform: 'Azure AKS (AgentBaker nodes)',
    cloud: 'acr',
    binDir: '/var/lib/kubelet/credential-provider',
    kubeletConfig: '/var/lib/kubelet/credential-provider-config.yaml',
    installAs: 'acr-credential-provider',
    source: 'Azure/AgentBaker:parts/linux/cloud-init/artifacts/cse_config_kubelet.sh',
  },
  {
    name: 'gke',
    platform: 'Google GKE Standard (and kube-up GCE nodes)',
    cloud: 'gar',
    binDir: '/home/kubernetes/bin',
    kubeletConfig: '/home/kubernetes/cri-auth-config.yaml',
    installAs: 'auth-provider-gcp',
    source: 'kubernetes/kubernetes:cluster/gce/gci/configure.sh (install-auth-provider-gcp)',
  },
];

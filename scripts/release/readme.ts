/** The README.md inside each release archive: what the files are and where to read on. */
import type { Target } from '../../cli/build/targets.ts';

export interface ArchiveReadme {
  binary: string;
  /** The adapters it serves, by the name `credkit config` takes. */
  adapters: string[];
  executable: string;
  version: string;
  target: Target;
  links: string[];
}

export function archiveReadme({ binary, adapters, executable, version, target, links }: ArchiveReadme): string {
  const windows = target.startsWith('windows-');
  const dir = windows ? 'C:\\var\\lib\\kubelet\\credential-provider' : '/etc/kubernetes/image-credential-provider';
  return `# ${binary} ${version} (${target})

A kubelet image credential provider from credkit: a standalone executable, no runtime needed on the node.

| file | what it is |
|---|---|
| \`${executable}\` | the provider. The kubelet runs it from \`--image-credential-provider-bin-dir\`, by the \`name\` in its config${windows ? ' (plus `.exe`)' : ''} |
${links.map((link) => `| \`${link}\` | the same binary under the name \`${link}\` (a link) |\n`).join('')}| \`credential-provider-config.yaml\` | an example \`--image-credential-provider-config\`, as \`credkit config\` writes it |
| \`LICENSE\` | Apache-2.0 |

Install:

1. Copy \`${executable}\` into the kubelet's provider directory (for example \`${dir}\`)${windows ? '' : ' with mode 0755'}.
   To replace the upstream provider, give it the upstream binary's file name and keep that config.
2. Point the kubelet at a config naming it: \`--image-credential-provider-bin-dir=${dir}\`
   \`--image-credential-provider-config=<file>\`, then restart the kubelet (it reads the config at start).
3. The example config's \`tokenAttributes\` need Kubernetes 1.34+ (on 1.33: the
   \`KubeletServiceAccountTokenForCredentialProviders\` gate, and no \`cacheType\` line) and the node RBAC
   that ${adapters.map((adapter) => `\`credkit config ${adapter} --rbac\``).join(', ')} prints.

The release's \`SHA256SUMS\` covers this archive, and its \`.cdx.json\` SBOM lists what the binary bundles.
Installing per platform (EKS, AKS, GKE, kubeadm, k3s, Talos) and migrating from the upstream
binaries: docs/install.md in the credkit repository.
`;
}

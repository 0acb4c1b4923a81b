/**
 * The example kubelet CredentialProviderConfig for a cloud, exactly as `credkit config <cloud>` writes
 * it: the release archives and the node installer's ConfigMap carry the CLI's own output, never a
 * hand-written copy, and it is checked by the kubelet's decoding and validation rules before it ships.
 */
import { runConfigCommand } from '../cli/config.ts';
import { decodeCredentialProviderConfig, validateCredentialProviderConfig } from '../core/config.ts';

/** `credkit config <cloud> [argv]`'s kubelet config file; throws when the kubelet would refuse it. */
export async function kubeletConfigFor(cloud: string, argv: string[] = []): Promise<string> {
  let text = '';
  const code = await runConfigCommand([cloud, ...argv], (chunk) => {
    text += chunk;
  });
  if (code !== 0) throw new Error(`credkit config ${cloud} exited ${code}`);
  const source = `credkit config ${[cloud, ...argv].join(' ')}`;
  // One document, strictly decoded, then the kubelet's own validation: what a node would load.
  const { providers } = decodeCredentialProviderConfig(text, source);
  const errors = validateCredentialProviderConfig(providers);
  if (errors.length > 0) throw new Error(`${source}: the kubelet would refuse it: ${errors.join('; ')}`);
  return text;
}

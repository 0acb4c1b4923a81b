/**
 * One pull through a kubelet CredentialProviderConfig entry, as the kubelet makes it: the entry
 * decoded and validated with the kubelet's rules, its `name` resolved to the credkit binary that
 * is the drop-in for that upstream plugin, its args, env, matchImages, apiVersion and
 * defaultCacheDuration applied, and, with tokenAttributes, a token for the pod's service account
 * of the configured audience with only the configured annotation keys forwarded.
 */
import { readFileSync } from 'node:fs';
import { ADAPTERS } from '../../adapters/index.ts';
import {
  type ConfiguredProvider,
  decodeCredentialProviderConfig,
  validateCredentialProviderConfig,
} from '../../core/config.ts';
import { type FakeIssuer, type KubeletResult, runLikeKubelet } from '../../core/testing/index.ts';
import { providerCommand } from '../support/commands.ts';

/** The fixture's text with `${NAME}` filled (as the node's provisioning script fills its variables) and `#` comments kept. */
export function readFixture(path: string, vars: Record<string, string> = {}): string {
  return readFileSync(path, 'utf8').replace(/\$\{(\w+)\}/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`${path}: no value for ${whole}`);
    return value;
  });
}

/** The one provider entry of a config file, after the kubelet's decoding and validation. */
export function providerEntry(text: string, source: string): ConfiguredProvider {
  const { providers } = decodeCredentialProviderConfig(text, source);
  const errors = validateCredentialProviderConfig(providers);
  if (errors.length > 0) throw new Error(`${source}: the kubelet refuses it: ${errors.join('; ')}`);
  if (providers.length !== 1) throw new Error(`${source}: expected one provider, got ${providers.length}`);
  return providers[0] as ConfiguredProvider;
}

/** The credkit adapter that is the drop-in for this upstream plugin name. */
export function dropInFor(name: string): string {
  const adapter = ADAPTERS.find((candidate) => candidate.dropInFor === name);
  if (!adapter) throw new Error(`no credkit adapter is a drop-in for ${name}`);
  return adapter.name;
}

export interface Pod {
  namespace: string;
  serviceAccount: string;
  annotations?: Record<string, string>;
}

export interface Node {
  /** The kubelet's own environment (the plugin inherits it; the entry's env comes after). */
  env: Record<string, string>;
  issuer: FakeIssuer;
  /**
   * Replaced in the args: a real node's paths and addresses -> where the test keeps that file or
   * runs that endpoint (`/etc/kubernetes/azure.json`, the API server's address...).
   */
  substitute?: Record<string, string>;
  /** Arguments this node's layout needs after the config's (credkit's flags for a file kept elsewhere). */
  extraArgs?: string[];
}

/** Runs the entry for one image and pod; a required annotation key the pod lacks skips the plugin, as the kubelet does. */
export async function pull(entry: ConfiguredProvider, node: Node, image: string, pod?: Pod): Promise<KubeletResult> {
  const args = [...(entry.args ?? []), ...(node.extraArgs ?? [])].map((arg) =>
    Object.entries(node.substitute ?? {}).reduce((out, [from, to]) => out.replaceAll(from, to), arg),
  );
  const attributes = entry.tokenAttributes ?? undefined;
  const forwarded = attributes
    ? [
        ...(attributes.requiredServiceAccountAnnotationKeys ?? []),
        ...(attributes.optionalServiceAccountAnnotationKeys ?? []),
      ]
    : [];
  const annotations = Object.fromEntries(
    Object.entries(pod?.annotations ?? {}).filter(([key]) => forwarded.includes(key)),
  );
  const missing = (attributes?.requiredServiceAccountAnnotationKeys ?? []).filter((key) => !(key in annotations));
  const token =
    attributes && pod && missing.length === 0
      ? await node.issuer.mint({
          namespace: pod.namespace,
          serviceAccount: pod.serviceAccount,
          audience: attributes.serviceAccountTokenAudience,
        })
      : undefined;
  return runLikeKubelet({
    command: [...providerCommand(dropInFor(entry.name)), ...args],
    inheritedEnv: node.env,
    env: Object.fromEntries((entry.env ?? []).map(({ name, value }) => [name, value])),
    image,
    ...(entry.apiVersion ? { apiVersion: entry.apiVersion } : {}),
    ...(entry.matchImages ? { matchImages: missing.length > 0 ? [] : entry.matchImages } : {}),
    ...(entry.defaultCacheDuration ? { defaultCacheDuration: entry.defaultCacheDuration } : {}),
    ...(token
      ? {
          serviceAccountToken: token,
          serviceAccountAnnotations: annotations,
          ...(attributes?.cacheType ? { cacheType: attributes.cacheType as 'Token' | 'ServiceAccount' } : {}),
        }
      : {}),
  });
}

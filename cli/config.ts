/**
 * `credkit config <cloud|module>`: the kubelet CredentialProviderConfig for a provider, and on
 * request the RBAC that lets nodes mint tokens for its audience and the cloud-side trust. Everything
 * comes from the provider's one declaration (audience, annotations, cacheType, matchImages), so the
 * kubelet can never be told an audience the provider would refuse. Each output is a file of its own
 * kind: the kubelet loads the config as is, `kubectl apply -f` takes the RBAC, a person reads the trust.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type ConfiguredProvider, validateCredentialProviderConfig } from '../core/config.ts';
import {
  API_VERSION_V1,
  CredkitError,
  type FlagSpecs,
  matchImagesOf,
  parseProviderArgs,
  type TokenAttributes,
  tokenAttributesOf,
} from '../core/index.ts';
import { BUN_PROVIDER_ENV } from './build/bun.ts';
import { type CommandSpec, commandHelp, parseCommand } from './command.ts';
import { adapterOf, CLOUDS, loadProvider } from './providers.ts';
import { trustNotes } from './trust.ts';

/** The files `--out-dir` writes. */
export const OUT_FILES = { config: 'credential-provider.yaml', rbac: 'rbac.yaml', trust: 'trust.md' } as const;

export const CONFIG_COMMAND = {
  name: 'config',
  usage: `<${CLOUDS.join('|')}|module.ts> [flags]`,
  description: `Prints the kubelet CredentialProviderConfig (kubelet.config.k8s.io/v1) for the provider: one file
the kubelet loads as is (--image-credential-provider-config). --rbac prints the RBAC that lets nodes
request service account tokens for its audience, --trust the cloud-side trust to set up, and
--out-dir writes all three: ${OUT_FILES.config}, ${OUT_FILES.rbac} and ${OUT_FILES.trust}.`,
  flags: {
    rbac: { type: 'boolean', description: 'print the ClusterRole and binding for the audience instead' },
    trust: { type: 'boolean', description: 'print the cloud-side trust steps instead' },
    'out-dir': { type: 'string', value: 'DIR', description: `write ${Object.values(OUT_FILES).join(', ')} into DIR` },
    name: { type: 'string', value: 'NAME', description: "provider (binary) name (default: the provider's own)" },
    arg: {
      type: 'string',
      value: 'ARG',
      multiple: true,
      description:
        'an argument for the binary (default: what the upstream install passes, e.g. acr: /etc/kubernetes/azure.json)',
    },
    env: { type: 'string', value: 'NAME=VALUE', multiple: true, description: 'an env entry for the binary' },
    'token-audience': { type: 'string', value: 'AUD', description: 'override the audience the provider expects' },
    'require-service-account': { type: 'boolean', description: 'only pods with a service account get credentials' },
    'node-only': { type: 'boolean', description: 'no tokenAttributes: node identity only' },
    'default-cache-duration': {
      type: 'string',
      value: 'D',
      description: 'kubelet defaultCacheDuration (default 0s: credkit always sends cacheDuration)',
    },
  },
} as const satisfies CommandSpec<FlagSpecs>;

export async function runConfigCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const parsed = parseCommand(CONFIG_COMMAND, argv);
  if (parsed.help) return (out(commandHelp(CONFIG_COMMAND)), 0);
  const { values, positionals } = parsed;
  const outputs = [values.rbac, values.trust, values['out-dir'] !== undefined].filter(Boolean).length;
  if (outputs > 1) throw new CredkitError('usage', 'give one of --rbac, --trust and --out-dir');
  const [target] = positionals;
  if (!target)
    throw new CredkitError('usage', `credkit config needs a provider: ${CLOUDS.join(', ')} or a module path`);
  const provider = await loadProvider(target);
  const adapter = adapterOf(target);
  // What the upstream provider's install passes, so the generated entry works as is.
  const args = values.arg ?? [...(adapter?.defaultArgs ?? [])];
  // The runtime's settings first, so an --env of the same name wins.
  const env = { ...BUN_PROVIDER_ENV, ...parseEnv(values.env ?? []) };
  const providerArgs = parseProviderArgs(provider, args);
  const scope = { flags: providerArgs.flags, env: { ...process.env, ...env } };
  const attributes = values['node-only']
    ? undefined
    : withOverrides(tokenAttributesOf(provider, scope), {
        audience: values['token-audience'] ?? providerArgs.common.tokenAudience,
        requireServiceAccount: values['require-service-account'],
      });
  const entry = providerEntry({
    name: values.name ?? adapter?.binary ?? provider.name,
    matchImages: matchImagesOf(provider, scope),
    args,
    env,
    attributes,
    defaultCacheDuration: values['default-cache-duration'] ?? provider.defaultCacheDuration ?? '0s',
  });
  const errors = validateCredentialProviderConfig([entry]);
  if (errors.length > 0)
    throw new CredkitError('usage', `the generated config would stop the kubelet: ${errors.join('; ')}`);
  const cloud = adapter?.name ?? provider.name;
  if (values['out-dir'] !== undefined) return (out(writeAll(values['out-dir'], cloud, entry, attributes)), 0);
  if (values.rbac) return (out(rbacYaml(entry.name, requireAudience(entry, attributes, '--rbac').audience)), 0);
  if (values.trust) return (out(trustText(cloud, entry.name, requireAudience(entry, attributes, '--trust'))), 0);
  return (out(configYaml(entry)), 0);
}

function parseEnv(entries: string[]): Record<string, string> {
  return Object.fromEntries(
    entries.map((entry) => {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new CredkitError('usage', `--env wants NAME=VALUE, got ${JSON.stringify(entry)}`);
      return [entry.slice(0, eq), entry.slice(eq + 1)];
    }),
  );
}

function withOverrides(
  attributes: TokenAttributes | undefined,
  overrides: { audience?: string; requireServiceAccount?: boolean },
): TokenAttributes | undefined {
  if (!attributes && !overrides.audience) return undefined;
  const base: TokenAttributes = attributes ?? {
    audience: '',
    cacheType: 'ServiceAccount',
    requireServiceAccount: false,
    requiredAnnotations: [],
    optionalAnnotations: [],
  };
  return {
    ...base,
    ...(overrides.audience ? { audience: overrides.audience } : {}),
    ...(overrides.requireServiceAccount ? { requireServiceAccount: true } : {}),
  };
}

interface EntryOptions {
  name: string;
  matchImages: string[];
  args: string[];
  env: Record<string, string>;
  attributes?: TokenAttributes;
  defaultCacheDuration: string;
}

export function providerEntry(options: EntryOptions): ConfiguredProvider {
  const { attributes } = options;
  return {
    name: options.name,
    matchImages: options.matchImages,
    defaultCacheDuration: options.defaultCacheDuration,
    apiVersion: API_VERSION_V1,
    ...(options.args.length > 0 ? { args: options.args } : {}),
    ...(Object.keys(options.env).length > 0
      ? { env: Object.entries(options.env).map(([name, value]) => ({ name, value })) }
      : {}),
    ...(attributes
      ? {
          tokenAttributes: {
            serviceAccountTokenAudience: attributes.audience,
            cacheType: attributes.cacheType,
            requireServiceAccount: attributes.requireServiceAccount,
            ...(attributes.requiredAnnotations.length > 0
              ? { requiredServiceAccountAnnotationKeys: attributes.requiredAnnotations }
              : {}),
            ...(attributes.optionalAnnotations.length > 0
              ? { optionalServiceAccountAnnotationKeys: attributes.optionalAnnotations }
              : {}),
          },
        }
      : {}),
  };
}

/** The ClusterRole and binding KEP-4412 requires: nodes may mint tokens only for this audience. */
export function audienceRbac(name: string, audience: string): object[] {
  const roleName = `credkit:${name}:token-audience`;
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: roleName },
      rules: [{ verbs: ['request-serviceaccounts-token-audience'], apiGroups: [''], resources: [audience] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: roleName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
    },
  ];
}

/** The one file the kubelet loads: a single CredentialProviderConfig document. */
export function configYaml(entry: ConfiguredProvider): string {
  const config = { apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig', providers: [entry] };
  return [
    `# kubelet: --image-credential-provider-config=<this file> --image-credential-provider-bin-dir=<dir holding ${entry.name}>`,
    stringify(config),
  ].join('\n');
}

function rbacYaml(name: string, audience: string): string {
  const header = `# kubectl apply -f <this file>: lets nodes request service account tokens for audience ${audience}\n`;
  return (
    header +
    audienceRbac(name, audience)
      .map((doc) => stringify(doc))
      .join('---\n')
  );
}

function trustText(cloud: string, name: string, attributes: TokenAttributes): string {
  const steps = trustNotes(cloud, attributes);
  return `# Cloud-side trust for ${name} (token audience ${attributes.audience})\n\n${steps.join('\n')}\n`;
}

/** RBAC and trust exist only for a provider that takes the pod's token. */
function requireAudience(entry: ConfiguredProvider, attributes: TokenAttributes | undefined, flag: string) {
  if (!attributes)
    throw new CredkitError(
      'usage',
      `${flag}: ${entry.name} takes no service account token, so it needs no RBAC or trust`,
    );
  return attributes;
}

/** --out-dir: each output in its file; returns what was written, one line per file. */
function writeAll(dir: string, cloud: string, entry: ConfiguredProvider, attributes: TokenAttributes | undefined) {
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, string, string]> = [
    [OUT_FILES.config, configYaml(entry), "the kubelet's --image-credential-provider-config"],
  ];
  if (attributes) {
    files.push(
      [OUT_FILES.rbac, rbacYaml(entry.name, attributes.audience), 'kubectl apply -f'],
      [OUT_FILES.trust, trustText(cloud, entry.name, attributes), 'the cloud-side steps'],
    );
  }
  for (const [file, text] of files) writeFileSync(join(dir, file), text);
  return files.map(([file, , what]) => `wrote ${join(dir, file)} (${what})\n`).join('');
}

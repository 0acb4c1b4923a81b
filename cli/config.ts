/**
 * `credkit config <cloud|module>`: the kubelet CredentialProviderConfig entry for a provider, the
 * RBAC that lets nodes mint tokens for its audience, and the cloud-side trust. Everything comes from
 * the provider's one declaration (audience, annotations, cacheType, matchImages), so the kubelet
 * can never be told an audience the provider would refuse.
 */
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { type ConfiguredProvider, validateCredentialProviderConfig } from '../core/config.ts';
import {
  API_VERSION_V1,
  CredkitError,
  type Provider,
  parseProviderArgs,
  type TokenAttributes,
  tokenAttributesOf,
} from '../core/index.ts';
import { adapterOf, CLOUDS, loadProvider } from './providers.ts';
import { trustNotes } from './trust.ts';

export const CONFIG_HELP = `usage: credkit config <${CLOUDS.join('|')}|module.ts> [flags]

Prints the kubelet CredentialProviderConfig (kubelet.config.k8s.io/v1) for the provider, the RBAC that
lets nodes request service account tokens for its audience, and the cloud-side trust to set up.

flags:
  --name NAME                 provider (binary) name (default: the provider's own)
  --arg ARG                   an argument for the binary (repeatable; also decides audience-dependent flags;
                              default: what the upstream install passes, e.g. acr: /etc/kubernetes/azure.json)
  --env NAME=VALUE            an env entry for the binary (repeatable)
  --token-audience AUD        override the audience the provider expects
  --require-service-account   only pods with a service account get credentials
  --node-only                 no tokenAttributes: node identity only
  --default-cache-duration D  kubelet defaultCacheDuration (default 0s: credkit always sends cacheDuration)
  --only config|rbac          print one part only
`;

export async function runConfigCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      arg: { type: 'string', multiple: true },
      env: { type: 'string', multiple: true },
      'token-audience': { type: 'string' },
      'require-service-account': { type: 'boolean' },
      'node-only': { type: 'boolean' },
      'default-cache-duration': { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (out(CONFIG_HELP), 0);
  const [target] = positionals;
  if (!target)
    throw new CredkitError('usage', `credkit config needs a provider: ${CLOUDS.join(', ')} or a module path`);
  const provider = await loadProvider(target);
  const adapter = adapterOf(target);
  // What the upstream provider's install passes, so the generated entry works as is.
  const args = values.arg ?? [...(adapter?.defaultArgs ?? [])];
  const env = parseEnv(values.env ?? []);
  const parsed = parseProviderArgs(provider, args);
  const attributes = values['node-only']
    ? undefined
    : withOverrides(tokenAttributesOf(provider, { flags: parsed.flags, env: { ...process.env, ...env } }), {
        audience: values['token-audience'] ?? parsed.common.tokenAudience,
        requireServiceAccount: values['require-service-account'],
      });
  const entry = providerEntry(provider, {
    name: values.name ?? adapter?.binary ?? provider.name,
    args,
    env,
    attributes,
    defaultCacheDuration: values['default-cache-duration'] ?? provider.defaultCacheDuration ?? '0s',
  });
  const errors = validateCredentialProviderConfig([entry]);
  if (errors.length > 0)
    throw new CredkitError('usage', `the generated config would stop the kubelet: ${errors.join('; ')}`);
  out(render(adapter?.name ?? provider.name, entry, attributes, values.only));
  return 0;
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
  args: string[];
  env: Record<string, string>;
  attributes?: TokenAttributes;
  defaultCacheDuration: string;
}

export function providerEntry(provider: Provider, options: EntryOptions): ConfiguredProvider {
  const { attributes } = options;
  return {
    name: options.name,
    matchImages: provider.matchImages,
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

function render(
  cloud: string,
  entry: ConfiguredProvider,
  attributes: TokenAttributes | undefined,
  only?: string,
): string {
  const config = { apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig', providers: [entry] };
  const header = [
    `# kubelet: --image-credential-provider-config=<this file> --image-credential-provider-bin-dir=<dir holding ${entry.name}>`,
  ];
  const parts: string[] = [];
  if (only !== 'rbac') parts.push(`${header.join('\n')}\n${stringify(config)}`);
  if (attributes && only !== 'config') {
    const trust = trustNotes(cloud, attributes).map((line) => `# ${line}`);
    const rbac = audienceRbac(entry.name, attributes.audience).map((doc) => stringify(doc));
    parts.push(`# Cloud-side trust for audience ${attributes.audience}:\n${trust.join('\n')}\n${rbac.join('---\n')}`);
  }
  return parts.join('---\n');
}

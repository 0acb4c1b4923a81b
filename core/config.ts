/**
 * The kubelet's CredentialProviderConfig (kubelet.config.k8s.io): the schema, the kubelet's own
 * validation rules with its exact messages, and loading from a file or a directory (v1.34+). A bad
 * config stops the kubelet from starting (research/kubelet-protocol.md §2.4-2.5, §3.1), so
 * `credkit config` validates what it writes and `credkit doctor` what it reads.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseGoDuration } from './duration.ts';
import { parseSchemelessUrl } from './image.ts';
import { API_VERSION_V1, API_VERSIONS, SERVICE_ACCOUNT_CACHE_TYPES } from './protocol.ts';

export const CONFIG_GROUP = 'kubelet.config.k8s.io';
export const CONFIG_API_VERSIONS = [
  `${CONFIG_GROUP}/v1`,
  `${CONFIG_GROUP}/v1beta1`,
  `${CONFIG_GROUP}/v1alpha1`,
] as const;

const tokenAttributesSchema = z.strictObject({
  serviceAccountTokenAudience: z.string(),
  cacheType: z.string().optional(),
  requireServiceAccount: z.boolean().nullish(),
  requiredServiceAccountAnnotationKeys: z.array(z.string()).optional(),
  optionalServiceAccountAnnotationKeys: z.array(z.string()).optional(),
});

const baseProviderSchema = z.strictObject({
  name: z.string(),
  matchImages: z.array(z.string()).nullish(),
  defaultCacheDuration: z.string().nullish(),
  apiVersion: z.string().optional(),
  args: z.array(z.string()).optional(),
  env: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
});

/** tokenAttributes exists only in the v1 Go type, so the strict decoder rejects it elsewhere. */
export const providerV1Schema = baseProviderSchema.extend({ tokenAttributes: tokenAttributesSchema.nullish() });

export const credentialProviderConfigSchema = z.discriminatedUnion('apiVersion', [
  z.strictObject({
    kind: z.literal('CredentialProviderConfig'),
    apiVersion: z.literal(CONFIG_API_VERSIONS[0]),
    providers: z.array(providerV1Schema),
  }),
  z.strictObject({
    kind: z.literal('CredentialProviderConfig'),
    apiVersion: z.literal(CONFIG_API_VERSIONS[1]),
    providers: z.array(baseProviderSchema),
  }),
  z.strictObject({
    kind: z.literal('CredentialProviderConfig'),
    apiVersion: z.literal(CONFIG_API_VERSIONS[2]),
    providers: z.array(baseProviderSchema),
  }),
]);
export type CredentialProviderConfig = z.infer<typeof credentialProviderConfigSchema>;
export type ConfiguredProvider = z.infer<typeof providerV1Schema>;

/** Decodes one file's text strictly, as the kubelet's universal decoder does. */
export function decodeCredentialProviderConfig(
  text: string,
  source = 'config',
): Omit<CredentialProviderConfig, 'providers'> & { providers: ConfiguredProvider[] } {
  let data: unknown;
  try {
    data = parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    throw new Error(`${source}: not YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = credentialProviderConfigSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    const unknown =
      issue?.code === 'unrecognized_keys'
        ? `unknown field "${[path, issue.keys[0]].filter(Boolean).join('.')}"`
        : undefined;
    throw new Error(`${source}: strict decoding error: ${unknown ?? `${path || 'config'}: ${issue?.message}`}`);
  }
  return parsed.data;
}

/** Reads a config file, or every .json/.yaml/.yml file of a directory in lexical order (v1.34+). */
export function readCredentialProviderConfig(path: string): ConfiguredProvider[] {
  const files = statSync(path).isDirectory()
    ? readdirSync(path, { withFileTypes: true })
        .filter((entry) => !entry.isDirectory() && ['.json', '.yaml', '.yml'].includes(extname(entry.name)))
        .map((entry) => join(path, entry.name))
        .sort()
    : [path];
  if (files.length === 0) throw new Error(`no configuration files found in directory "${path}"`);
  const providers: ConfiguredProvider[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    for (const provider of decodeCredentialProviderConfig(readFileSync(file, 'utf8'), file).providers) {
      if (seen.has(provider.name))
        throw new Error(`duplicate provider name "${provider.name}" found in configuration file(s)`);
      seen.add(provider.name);
      providers.push(provider);
    }
  }
  return providers;
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The kubelet's validateCredentialProviderConfig, messages as the kubelet prints them. */
export function validateCredentialProviderConfig(providers: ConfiguredProvider[]): string[] {
  const errors: string[] = [];
  if (providers.length === 0) errors.push('providers: Required value: at least 1 item in plugins is required');
  const names = new Set<string>();
  for (const provider of providers) {
    errors.push(...validateName(provider.name, names));
    errors.push(...validateProvider(provider));
  }
  return errors;
}

function validateName(name: string, seen: Set<string>): string[] {
  const errors: string[] = [];
  if (name.includes('/')) errors.push(`providers.name: Invalid value: "${name}": provider name cannot contain '/'`);
  if (name.includes(' ')) errors.push(`providers.name: Invalid value: "${name}": provider name cannot contain spaces`);
  if (name === '.' || name === '..')
    errors.push(`providers.name: Invalid value: "${name}": provider name cannot be '${name}'`);
  if (seen.has(name)) errors.push(`providers.name: Duplicate value: "${name}"`);
  seen.add(name);
  return errors;
}

function validateProvider(provider: ConfiguredProvider): string[] {
  const errors: string[] = [];
  if (!provider.apiVersion) errors.push('providers.apiVersion: Required value');
  else if (!(API_VERSIONS as readonly string[]).includes(provider.apiVersion)) {
    errors.push(
      `providers.apiVersion: Unsupported value: "${provider.apiVersion}": supported values: ${[...API_VERSIONS]
        .sort()
        .map((v) => `"${v}"`)
        .join(', ')}`,
    );
  }
  if (!provider.matchImages || provider.matchImages.length === 0) {
    errors.push('providers.matchImages: Required value: at least 1 item in matchImages is required');
  }
  for (const image of provider.matchImages ?? []) {
    try {
      parseSchemelessUrl(image);
    } catch (error) {
      errors.push(
        `providers.matchImages: Invalid value: "${image}": match image is invalid: ${(error as Error).message}`,
      );
    }
  }
  errors.push(...validateDefaultCacheDuration(provider.defaultCacheDuration));
  if (provider.tokenAttributes) errors.push(...validateTokenAttributes(provider));
  return errors;
}

function validateDefaultCacheDuration(duration: string | null | undefined): string[] {
  if (duration === undefined || duration === null) return ['providers.defaultCacheDuration: Required value'];
  try {
    if (parseGoDuration(duration) < 0n) {
      return [`providers.defaultCacheDuration: Invalid value: "${duration}": must be greater than or equal to 0`];
    }
  } catch {
    return [`providers.defaultCacheDuration: Invalid value: "${duration}": not a Go duration`];
  }
  return [];
}

function validateTokenAttributes(provider: ConfiguredProvider): string[] {
  const attributes = provider.tokenAttributes as NonNullable<ConfiguredProvider['tokenAttributes']>;
  const path = 'providers.tokenAttributes';
  const errors: string[] = [];
  if (provider.apiVersion !== API_VERSION_V1) {
    errors.push(`${path}: Forbidden: tokenAttributes is only supported for ${API_VERSION_V1} API version`);
  }
  if (!attributes.serviceAccountTokenAudience) errors.push(`${path}.serviceAccountTokenAudience: Required value`);
  if (!attributes.cacheType) {
    errors.push(
      `${path}.cacheType: Required value: cacheType is required to be set when tokenAttributes is specified. Supported values are: ServiceAccount, Token`,
    );
  } else if (!(SERVICE_ACCOUNT_CACHE_TYPES as readonly string[]).includes(attributes.cacheType)) {
    errors.push(
      `${path}.cacheType: Unsupported value: "${attributes.cacheType}": supported values: "ServiceAccount", "Token"`,
    );
  }
  if (attributes.requireServiceAccount === undefined || attributes.requireServiceAccount === null) {
    errors.push(`${path}.requireServiceAccount: Required value`);
  }
  const required = attributes.requiredServiceAccountAnnotationKeys ?? [];
  const optional = attributes.optionalServiceAccountAnnotationKeys ?? [];
  if (attributes.requireServiceAccount === false && required.length > 0) {
    errors.push(
      `${path}.requiredServiceAccountAnnotationKeys: Forbidden: requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set`,
    );
  }
  errors.push(...validateAnnotationKeys(`${path}.requiredServiceAccountAnnotationKeys`, required));
  errors.push(...validateAnnotationKeys(`${path}.optionalServiceAccountAnnotationKeys`, optional));
  const both = required.filter((key) => optional.includes(key));
  if (both.length > 0)
    errors.push(
      `${path}: Invalid value: ${JSON.stringify(both)}: annotation keys cannot be both required and optional`,
    );
  return errors;
}

/** Annotation keys are qualified names (optional DNS-subdomain prefix, then a name part). */
function validateAnnotationKeys(path: string, keys: string[]): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    if (!isQualifiedName(key.toLowerCase())) {
      errors.push(
        `${path}: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      );
    }
    if (seen.has(key)) errors.push(`${path}: Duplicate value: "${key}"`);
    seen.add(key);
  }
  return errors;
}

export function isQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.at(-1) ?? '';
  const prefix = parts.length === 2 ? (parts[0] ?? '') : undefined;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME.test(name);
}

/**
 * The node's `azure.json`, the one positional argument of the upstream acr-credential-provider
 * (research/azure-acr.md §1.3). Upstream loads it with sigs.k8s.io/yaml into a Go struct, so the
 * file may be JSON or YAML, keys match case-insensitively (`tenantID` fills `tenantId`), unknown
 * keys are ignored and an empty file means "all defaults". Only the fields this provider uses are
 * read; AKS writes dozens of others for the cloud controller.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { CredkitError, type Env } from '../../core/index.ts';
import { type CloudEnvironment, isAzureStack, readCloudEnvironment } from './cloud.ts';

/** Keys are lower-cased before parsing: Go's encoding/json matches struct fields case-insensitively. */
const azureConfigSchema = z.object({
  tenantid: z.optional(z.string({ error: 'expected a string' })),
  aadclientid: z.optional(z.string({ error: 'expected a string' })),
  aadclientsecret: z.optional(z.string({ error: 'expected a string' })),
  usemanagedidentityextension: z.optional(z.boolean({ error: 'expected a boolean' })),
  userassignedidentityid: z.optional(z.string({ error: 'expected a string' })),
  cloud: z.optional(z.string({ error: 'expected a string' })),
});

export interface AzureConfig {
  /** Where it was read from, for error messages. */
  path: string;
  tenantId?: string;
  aadClientId?: string;
  aadClientSecret?: string;
  useManagedIdentityExtension: boolean;
  userAssignedIdentityID?: string;
  cloud?: string;
  /** AzureStackCloud's endpoints, from the file `AZURE_ENVIRONMENT_FILEPATH` names (cloud.ts). */
  environment?: CloudEnvironment;
}

export async function loadAzureConfig(path: string, env: Env = {}): Promise<AzureConfig> {
  let text: string;
  try {
    // Synchronously: a few hundred bytes, and no hand-off to the runtime's thread pool and back.
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CredkitError(
      'usage',
      `cannot read the Azure config file ${path} (${code}): fix the path in the kubelet config args`,
    );
  }
  const config = await parseAzureConfig(text, path);
  const environment = isAzureStack(config.cloud) ? readCloudEnvironment(env) : undefined;
  return environment ? { ...config, environment } : config;
}

/**
 * JSON first: AKS writes azure.json as JSON. YAML, a superset, only for what JSON.parse refuses, and
 * the yaml package only then: imported at the top, its modules were evaluated on every exec (the
 * saving was within noise, bench/RESULTS.md, but nothing a JSON file needs should run).
 */
async function parseJsonOrYaml(text: string): Promise<unknown> {
  try {
    return JSON.parse(text);
  } catch {
    const { parse } = await import('yaml');
    return parse(text);
  }
}

export async function parseAzureConfig(text: string, path = 'azure.json'): Promise<AzureConfig> {
  let document: unknown;
  try {
    document = text.trim() === '' ? {} : await parseJsonOrYaml(text);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new CredkitError('usage', `failed to load config ${path}: not JSON or YAML (${reason})`);
  }
  return azureConfigOf(document, path);
}

/** The keys credkit reads from an azure.json document already parsed. */
export function azureConfigOf(document: unknown, path = 'azure.json'): AzureConfig {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new CredkitError('usage', `failed to load config ${path}: expected an object such as {"tenantId": "..."}`);
  }
  const lowered = Object.fromEntries(Object.entries(document).map(([key, value]) => [key.toLowerCase(), value]));
  const parsed = azureConfigSchema.safeParse(lowered);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CredkitError('usage', `failed to load config ${path}: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const c = parsed.data;
  return {
    path,
    ...(c.tenantid ? { tenantId: c.tenantid.trim() } : {}),
    ...(c.aadclientid ? { aadClientId: c.aadclientid.trim() } : {}),
    ...(c.aadclientsecret ? { aadClientSecret: c.aadclientsecret } : {}),
    useManagedIdentityExtension: c.usemanagedidentityextension ?? false,
    ...(c.userassignedidentityid?.trim() ? { userAssignedIdentityID: c.userassignedidentityid.trim() } : {}),
    ...(c.cloud ? { cloud: c.cloud } : {}),
  };
}

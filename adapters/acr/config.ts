/**
 * The node's `azure.json`, the one positional argument of the upstream acr-credential-provider
 * (research/azure-acr.md §1.3). Upstream loads it with sigs.k8s.io/yaml into a Go struct, so the
 * file may be JSON or YAML, keys match case-insensitively (`tenantID` fills `tenantId`), unknown
 * keys are ignored and an empty file means "all defaults". Only the fields this provider uses are
 * read; AKS writes dozens of others for the cloud controller.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod/mini';
import { CredkitError, type Env } from '../../core/index.ts';

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
}

export async function loadAzureConfig(path: string): Promise<AzureConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CredkitError(
      'usage',
      `cannot read the Azure config file ${path} (${code}): fix the path in the kubelet config args`,
    );
  }
  return parseAzureConfig(text, path);
}

export function parseAzureConfig(text: string, path = 'azure.json'): AzureConfig {
  let document: unknown;
  try {
    document = text.trim() === '' ? {} : parseYaml(text);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new CredkitError('usage', `failed to load config ${path}: not JSON or YAML (${reason})`);
  }
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

/** Entra ID (AAD) authority per cloud name, as `pkg/azclient/cloud.go` maps them (research §1.3). */
const AUTHORITY_BY_CLOUD: Record<string, string> = {
  AZURECLOUD: 'https://login.microsoftonline.com',
  AZUREPUBLICCLOUD: 'https://login.microsoftonline.com',
  AZURECHINACLOUD: 'https://login.chinacloudapi.cn',
  AZUREUSGOVERNMENT: 'https://login.microsoftonline.us',
  AZUREUSGOVERNMENTCLOUD: 'https://login.microsoftonline.us',
};

/**
 * The Entra ID authority host: `AZURE_AUTHORITY_HOST` when set (the variable every Azure SDK
 * honours, so a custom or air-gapped cloud needs no config change), else by `cloud` name; unknown
 * names fall back to the public cloud, as upstream does. MSAL refuses plain-HTTP authorities and so
 * do we: the pod's token is sent there.
 */
export function authorityHost(config: Pick<AzureConfig, 'cloud'>, env: Env): string {
  const fromEnv = env.AZURE_AUTHORITY_HOST?.trim();
  if (fromEnv) {
    let url: URL;
    try {
      url = new URL(fromEnv);
    } catch {
      throw new CredkitError(
        'usage',
        `AZURE_AUTHORITY_HOST ${JSON.stringify(fromEnv)} is not a URL: use e.g. https://login.microsoftonline.us`,
      );
    }
    if (url.protocol !== 'https:') {
      throw new CredkitError(
        'usage',
        `AZURE_AUTHORITY_HOST ${fromEnv} must use https: the service account token is sent there`,
      );
    }
    return url.origin;
  }
  const name = (config.cloud ?? '').trim().toUpperCase();
  return AUTHORITY_BY_CLOUD[name] ?? 'https://login.microsoftonline.com';
}

/**
 * A custom Azure cloud (Azure Stack Hub): azure.json says `cloud: AzureStackCloud` and
 * `AZURE_ENVIRONMENT_FILEPATH` names a JSON environment file with the cloud's endpoints, as upstream
 * reads them (`OverrideAzureCloudConfigFromEnv`, pkg/azclient/cloud.go): `activeDirectoryEndpoint`
 * is the Entra ID authority and `containerRegistryDNSSuffix` the suffix of its registries. Upstream
 * reads the file only for that cloud name, and so does credkit; other keys of the file are not
 * used here. (Upstream's other route, `resourceManagerEndpoint` metadata, costs an ARM call on
 * every exec and is not supported: docs/acr.md.)
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { CredkitError, type Env, quote } from '../../core/index.ts';

export const AZURE_STACK_CLOUD = 'AZURESTACKCLOUD';

export interface CloudEnvironment {
  /** The file it came from, for messages. */
  path: string;
  activeDirectoryEndpoint?: string;
  /** Without a leading dot: `azsacr.local.azurestack.external`. */
  containerRegistryDNSSuffix?: string;
}

export function isAzureStack(cloud: string | undefined): boolean {
  return (cloud ?? '').trim().toUpperCase() === AZURE_STACK_CLOUD;
}

// Go's encoding/json matches keys case-insensitively: keys are lower-cased before parsing.
const environmentSchema = z.object({
  activedirectoryendpoint: z.optional(z.string({ error: 'expected a string' })),
  containerregistrydnssuffix: z.optional(z.string({ error: 'expected a string' })),
});

const DNS_SUFFIX = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

let cached: { path: string; environment: CloudEnvironment } | undefined;

/**
 * The environment file `AZURE_ENVIRONMENT_FILEPATH` names, or undefined when it is not set. Read
 * synchronously, once per exec: the registry suffix decides which images are ours before any
 * other work, and only nodes that set the variable pay for it.
 */
export function readCloudEnvironment(env: Env): CloudEnvironment | undefined {
  const path = env.AZURE_ENVIRONMENT_FILEPATH?.trim();
  if (!path) return undefined;
  if (cached?.path === path) return cached.environment;
  const environment = parseCloudEnvironment(readEnvironmentFile(path), path);
  cached = { path, environment };
  return environment;
}

function readEnvironmentFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CredkitError(
      'usage',
      `cannot read AZURE_ENVIRONMENT_FILEPATH ${quote(path)} (${code}): point it at the Azure Stack environment JSON`,
    );
  }
}

export function parseCloudEnvironment(text: string, path: string): CloudEnvironment {
  const fail = (why: string) =>
    new CredkitError('usage', `AZURE_ENVIRONMENT_FILEPATH ${quote(path)} is not an Azure environment file: ${why}`);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw fail('not JSON');
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) throw fail('expected an object');
  const lowered = Object.fromEntries(Object.entries(document).map(([key, value]) => [key.toLowerCase(), value]));
  const parsed = environmentSchema.safeParse(lowered);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail(`${issue?.path.join('.')}: ${issue?.message}`);
  }
  const authority = parsed.data.activedirectoryendpoint?.trim();
  const suffix = parsed.data.containerregistrydnssuffix?.trim().replace(/^\./, '').toLowerCase();
  if (suffix && !DNS_SUFFIX.test(suffix)) throw fail(`containerRegistryDNSSuffix ${quote(suffix)} is not a DNS name`);
  return {
    path,
    ...(authority ? { activeDirectoryEndpoint: authority } : {}),
    ...(suffix ? { containerRegistryDNSSuffix: suffix } : {}),
  };
}

/**
 * The command line and environment of credkit-acr, as upstream acr-credential-provider takes them:
 * exactly one argument, the node's azure.json (read by azure-json.ts, only when an image needs
 * it), `--registry-mirror`, the identity-binding flags `--ib-*` (checked in identity-binding.ts),
 * plus credkit's `--service-principal-auth` and `--ib-ca-file`; and the Entra ID authority from the
 * environment or the config's cloud name.
 */
import { type Context, CredkitError, type Env, type FlagSpecs } from '../../core/index.ts';
import type { AzureConfig } from './azure-json.ts';

export const ACR_FLAGS = {
  'registry-mirror': {
    type: 'string',
    short: 'r',
    description: 'src:dst[,src:dst]: images on registry src are pulled from ACR dst, with the node identity',
  },
  'service-principal-auth': {
    type: 'string',
    default: 'secret',
    description:
      'with the azure.json service principal: "secret" returns its secret as upstream does; "token" exchanges it for a refresh token for that one registry',
  },
  // AKS identity bindings (identity-binding.ts), as upstream registers them.
  'ib-sni-name': {
    type: 'string',
    value: 'NAME',
    description: "identity bindings: the TLS server name of the API server's identity-binding endpoint",
  },
  'ib-apiserver-ip': {
    type: 'string',
    value: 'ADDRESS',
    description: 'identity bindings: the API server address to dial (IP or name, optionally :port; default port 443)',
  },
  'ib-default-client-id': {
    type: 'string',
    value: 'ID',
    description:
      'identity bindings: the managed identity for service accounts without kubernetes.azure.com/acr-client-id',
  },
  'ib-default-tenant-id': {
    type: 'string',
    value: 'ID',
    description: 'identity bindings: the tenant for service accounts without kubernetes.azure.com/acr-tenant-id',
  },
  'ib-ca-file': {
    type: 'string',
    value: 'FILE',
    description:
      'identity bindings: the cluster CA, the only one trusted for that call (default /etc/kubernetes/certs/ca.crt)',
  },
} as const satisfies FlagSpecs;

export type AcrScope = Pick<Context<typeof ACR_FLAGS>, 'flags' | 'positionals'>;

/** Checks the command line as upstream does: exactly one argument, the config file. */
export function configPath(scope: AcrScope): string {
  const [path, ...extra] = scope.positionals;
  if (!path)
    throw new CredkitError('usage', 'config file is not specified: pass the path to azure.json as the argument');
  if (extra.length > 0) {
    throw new CredkitError(
      'usage',
      `expected exactly one argument (config file), got ${scope.positionals.length}: ${scope.positionals.join(' ')}`,
    );
  }
  return path;
}

export function servicePrincipalAuth(scope: AcrScope): 'secret' | 'token' {
  const mode = scope.flags['service-principal-auth'] ?? 'secret';
  if (mode !== 'secret' && mode !== 'token') {
    throw new CredkitError('usage', `--service-principal-auth must be secret or token, got ${JSON.stringify(mode)}`);
  }
  return mode;
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
 * honours, so a custom or air-gapped cloud needs no config change), else AzureStackCloud's
 * `activeDirectoryEndpoint` (cloud.ts), else by `cloud` name; unknown names fall back to the public
 * cloud, as upstream does. MSAL refuses plain-HTTP authorities and so do we: the pod's token is
 * sent there.
 */
export function authorityHost(config: Pick<AzureConfig, 'cloud' | 'environment'>, env: Env): string {
  const variable = env.AZURE_AUTHORITY_HOST?.trim();
  const fromEnv = variable || config.environment?.activeDirectoryEndpoint;
  const source = variable ? 'AZURE_AUTHORITY_HOST' : `activeDirectoryEndpoint in ${config.environment?.path}`;
  if (fromEnv) {
    let url: URL;
    try {
      url = new URL(fromEnv);
    } catch {
      throw new CredkitError(
        'usage',
        `${source} ${JSON.stringify(fromEnv)} is not a URL: use e.g. https://login.microsoftonline.us`,
      );
    }
    if (url.protocol !== 'https:') {
      throw new CredkitError('usage', `${source} ${fromEnv} must use https: the service account token is sent there`);
    }
    return url.origin;
  }
  const name = (config.cloud ?? '').trim().toUpperCase();
  return AUTHORITY_BY_CLOUD[name] ?? 'https://login.microsoftonline.com';
}

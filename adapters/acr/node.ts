/**
 * The node leg: an Entra ID access token for the node's own identity, which upstream's
 * acr-credential-provider reads from azure.json (research/azure-acr.md §1.5):
 *  - the managed identity, from the Azure Instance Metadata Service (§5.1). `userAssignedIdentityID`
 *    picks a user-assigned identity: an ARM resource ID (it contains `/subscriptions/`) goes as
 *    `msi_res_id`, anything else as `client_id`, exactly as upstream decides.
 *    `AZURE_POD_IDENTITY_AUTHORITY_HOST` moves the endpoint, as in @azure/identity. On a host whose
 *    environment names another managed identity source (App Service, Arc, Machine Learning, Cloud
 *    Shell, Service Fabric), @azure/identity's ManagedIdentityCredential answers instead
 *    (managed-identity.ts), loaded only then;
 *  - the service principal's secret, exchanged at Entra ID (`--service-principal-auth=token`).
 */
import { existsSync } from 'node:fs';
import * as z from 'zod/mini';
import {
  CredkitError,
  type Env,
  type ExchangeContext,
  exchange,
  isRetryableStatus,
  NetworkFault,
  transportVerdict,
} from '../../core/index.ts';
import { entraToken, jsonObject } from './entra.ts';

const IMDS = 'http://169.254.169.254';
const RESOURCE = 'https://containerregistry.azure.net';

const imdsTokenSchema = z.object({ access_token: z.string().check(z.minLength(1)) });

export interface ServicePrincipalSecret {
  clientId: string;
  tenantId: string;
  clientSecret: string;
}

export function describeManagedIdentity(userAssignedIdentityID: string | undefined): string {
  return userAssignedIdentityID ? `managed identity ${userAssignedIdentityID}` : 'the system-assigned managed identity';
}

export type ManagedIdentitySource = 'IMDS' | import('./managed-identity.ts').SdkSource;

/** Installed on an Azure Arc-enabled Linux server; MSAL treats its presence as Arc, without env. */
export const ARC_HIMDS = '/opt/azcmagent/bin/himds';

/**
 * Which managed identity endpoint this host has, decided as MSAL's ManagedIdentityClient decides
 * (its order, its variables), so credkit and @azure/identity agree. IMDS, the VM default, is
 * what AKS and every Azure VM node use: it keeps the direct request below, which does not load the
 * SDK. Measured (docs/acr.md): the SDK's path costs about 45 ms more CPU and 10 MiB more RSS per
 * exec for the same single request.
 */
export function managedIdentitySource(env: Env, himdsInstalled = () => existsSync(ARC_HIMDS)): ManagedIdentitySource {
  const set = (name: string) => Boolean(env[name]);
  if (set('IDENTITY_ENDPOINT') && set('IDENTITY_HEADER') && set('IDENTITY_SERVER_THUMBPRINT')) return 'ServiceFabric';
  if (set('IDENTITY_ENDPOINT') && set('IDENTITY_HEADER')) return 'AppService';
  if (set('MSI_ENDPOINT') && set('MSI_SECRET')) return 'MachineLearning';
  if (set('MSI_ENDPOINT')) return 'CloudShell';
  if ((set('IDENTITY_ENDPOINT') && set('IMDS_ENDPOINT')) || himdsInstalled()) return 'AzureArc';
  return 'IMDS';
}

export function imdsTokenUrl(env: Env, userAssignedIdentityID: string | undefined): string {
  const base = env.AZURE_POD_IDENTITY_AUTHORITY_HOST?.trim().replace(/\/+$/, '') || IMDS;
  const url = new URL(`${base}/metadata/identity/oauth2/token`);
  url.searchParams.set('api-version', '2018-02-01');
  url.searchParams.set('resource', RESOURCE);
  if (userAssignedIdentityID) {
    const byResourceId = userAssignedIdentityID.toUpperCase().includes('/SUBSCRIPTIONS/');
    url.searchParams.set(byResourceId ? 'msi_res_id' : 'client_id', userAssignedIdentityID);
  }
  return url.href;
}

export async function managedIdentityToken(
  ctx: ExchangeContext & { env: Env },
  userAssignedIdentityID: string | undefined,
): Promise<string> {
  const who = describeManagedIdentity(userAssignedIdentityID);
  const source = managedIdentitySource(ctx.env);
  if (source !== 'IMDS') {
    ctx.log.v(2).info('managed identity source from the environment', { source });
    const { sdkManagedIdentityToken } = await import('./managed-identity.ts');
    return sdkManagedIdentityToken(ctx, source, userAssignedIdentityID, who);
  }
  const answer = await exchange(ctx, {
    what: 'the IMDS token request',
    url: imdsTokenUrl(ctx.env, userAssignedIdentityID),
    headers: { metadata: 'true' },
    // IMDS answers in milliseconds on a VM; a short timeout lets retries fit the deadline.
    timeoutMs: 5_000,
    schema: imdsTokenSchema,
    reason: (text) => {
      const body = jsonObject(text);
      return [body?.error, body?.error_description].filter((part) => typeof part === 'string').join(': ') || undefined;
    },
    refused: ({ status, reason }) =>
      isRetryableStatus(status)
        ? // A proxy in front of IMDS answers 502/503 itself: the usual cause on a proxied node.
          new CredkitError(
            'unavailable',
            `IMDS did not give a token for ${who} (status ${status}, even after retries): ` +
              'if this node uses HTTP_PROXY, add 169.254.169.254 to NO_PROXY',
          )
        : new CredkitError(
            'denied',
            `IMDS refused a token for ${who}: ${reason}: check that the identity is assigned to this node (userAssignedIdentityID in azure.json)`,
          ),
  }).catch((error: unknown) => {
    // A proxy in the way refused the tunnel (the agent transport) as it answers 502 above (fetch).
    if (error instanceof NetworkFault && error.fault === 'proxy') {
      throw new CredkitError(
        'unavailable',
        `${error.message}: if this node uses HTTP_PROXY, add 169.254.169.254 to NO_PROXY`,
        {
          cause: error,
        },
      );
    }
    // Nothing answers at all: the node is not an Azure VM, or its IMDS route is gone.
    if (transportVerdict(error) === 'final') throw error;
    throw new CredkitError(
      'unavailable',
      `cannot get a token for ${who} from IMDS (${(error as Error).message}): run on an Azure VM, or set useManagedIdentityExtension to false and use the azure.json service principal`,
      { cause: (error as Error).cause },
    );
  });
  ctx.log.redactor.add(answer.access_token);
  return answer.access_token;
}

export function entraTokenForClientSecret(
  ctx: ExchangeContext,
  authorityHost: string,
  sp: ServicePrincipalSecret,
): Promise<string> {
  return entraToken(ctx, authorityHost, {
    tenantId: sp.tenantId,
    clientId: sp.clientId,
    credential: { client_secret: sp.clientSecret },
    who: `service principal ${sp.clientId} in tenant ${sp.tenantId}`,
    fix: secretFix,
  });
}

function secretFix(code: number | undefined): string {
  switch (code) {
    case 7000215:
      return ': aadClientSecret in azure.json is wrong';
    case 7000222:
      return ': the secret has expired; create a new one and update aadClientSecret in azure.json';
    case 700016:
      return ': check aadClientId and tenantId in azure.json';
    case 90002:
      return ': check tenantId in azure.json';
    default:
      return '';
  }
}

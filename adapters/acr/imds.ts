/**
 * The node's managed identity, from the Azure Instance Metadata Service (research/azure-acr.md
 * §5.1). `userAssignedIdentityID` in azure.json picks a user-assigned identity: an ARM resource ID
 * (it contains `/subscriptions/`) goes as `msi_res_id`, anything else as `client_id`, exactly as
 * upstream decides. `AZURE_POD_IDENTITY_AUTHORITY_HOST` moves the endpoint, as in @azure/identity.
 */
import { type Context, CredkitError, type Env, isRetryableStatus } from '../../core/index.ts';
import { type CallContext, call, jsonBody } from './call.ts';

const IMDS = 'http://169.254.169.254';
const RESOURCE = 'https://containerregistry.azure.net';

export function describeManagedIdentity(userAssignedIdentityID: string | undefined): string {
  return userAssignedIdentityID ? `managed identity ${userAssignedIdentityID}` : 'the system-assigned managed identity';
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
  ctx: CallContext & Pick<Context, 'env'>,
  userAssignedIdentityID: string | undefined,
): Promise<string> {
  const who = describeManagedIdentity(userAssignedIdentityID);
  const url = imdsTokenUrl(ctx.env, userAssignedIdentityID);
  let response: Awaited<ReturnType<typeof call>>;
  try {
    // IMDS answers in milliseconds on a VM; a short timeout lets retries fit the deadline.
    response = await call(ctx, 'the IMDS token request', url, { headers: { metadata: 'true' }, timeoutMs: 5_000 });
  } catch (error) {
    if (error instanceof CredkitError && error.kind === 'unavailable') {
      throw new CredkitError(
        'unavailable',
        `cannot get a token for ${who} from IMDS (${error.message}): run on an Azure VM, or set useManagedIdentityExtension to false and use the azure.json service principal`,
      );
    }
    throw error;
  }
  const body = jsonBody(response);
  const token = body?.access_token;
  if (response.status === 200 && typeof token === 'string' && token !== '') {
    ctx.log.redactor.add(token);
    return token;
  }
  if (response.status === 200 || isRetryableStatus(response.status)) {
    // A proxy in front of IMDS answers 502/503 itself: the usual cause on a proxied node.
    throw new CredkitError(
      'unavailable',
      `IMDS did not give a token for ${who} (status ${response.status}${response.status === 200 ? ', no access_token' : ', even after retries'}): ` +
        'if this node uses HTTP_PROXY, add 169.254.169.254 to NO_PROXY',
    );
  }
  const reason = [body?.error, body?.error_description].filter((part) => typeof part === 'string').join(': ');
  throw new CredkitError(
    'denied',
    `IMDS refused a token for ${who}: ${reason || `status ${response.status}`}: check that the identity is assigned to this node (userAssignedIdentityID in azure.json)`,
  );
}

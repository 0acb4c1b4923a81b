/**
 * The node's managed identity from a source other than a VM's IMDS: App Service / Functions
 * (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`), Azure Arc (`IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`, or
 * the himds agent installed, with its challenge-file flow), Azure Machine Learning (`MSI_ENDPOINT`
 * + `MSI_SECRET`), Cloud Shell (`MSI_ENDPOINT`) and Service Fabric. Upstream gets these from
 * azidentity's ManagedIdentityCredential (research/azure-acr.md §5.1); credkit uses
 * @azure/identity's, whose MSAL sources implement each protocol, rather than writing them again.
 *
 * Loaded only on this path (node.ts imports it dynamically): a VM's IMDS, the common case, keeps
 * its direct request and never loads the SDK. Every request the SDK makes goes through the core's
 * Http (its proxy agent, NODE_EXTRA_CA_CERTS, per-request bounds and the exec's deadline), handed
 * in as the pipeline's HttpClient. The SDK's own pipeline retries (its IMDS retry policy and
 * core-rest-pipeline's): the one place a retry loop outside core/exchange.ts is accepted, because
 * the SDK owns these protocols; the deadline still ends every request and the exec.
 */
import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { ManagedIdentityCredential } from '@azure/identity';
import { AzureLogger } from '@azure/logger';
import { CredkitError, cut, type Env, type ExchangeContext, NetworkFault } from '../../core/index.ts';
import { ACR_SCOPE } from './entra.ts';

export type SdkSource = 'ServiceFabric' | 'AppService' | 'MachineLearning' | 'CloudShell' | 'AzureArc';

type NodeContext = ExchangeContext & { env: Env };

/** The SDK's retries for one token (it defaults to 5, about 25 s of back-off): 3 fit the deadline. */
const SDK_MAX_RETRIES = 3;

export async function sdkManagedIdentityToken(
  ctx: NodeContext,
  source: SdkSource,
  userAssignedIdentityID: string | undefined,
  who: string,
): Promise<string> {
  // The endpoint secrets travel as headers (App Service, Machine Learning): never on a line.
  ctx.log.redactor.add(ctx.env.IDENTITY_HEADER);
  ctx.log.redactor.add(ctx.env.MSI_SECRET);
  // The SDK logs through @azure/logger (to stderr when AZURE_LOG_LEVEL is set): into credkit's
  // logger instead, so every line keeps the budget and the redaction.
  AzureLogger.log = (...args: unknown[]) => ctx.log.v(6).info(`@azure/identity: ${args.map(String).join(' ')}`);
  const transport = coreHttpClient(ctx, source);
  let credential: ManagedIdentityCredential;
  try {
    credential = new ManagedIdentityCredential({
      ...identityOption(userAssignedIdentityID),
      httpClient: transport.client,
      retryOptions: { maxRetries: SDK_MAX_RETRIES },
    });
  } catch (error) {
    // Cloud Shell and Service Fabric pick the identity themselves and refuse a named one.
    throw new CredkitError(
      'usage',
      `the ${source} managed identity cannot be chosen by userAssignedIdentityID (${firstLine(error)}): remove it from azure.json`,
    );
  }
  try {
    const token = await credential.getToken(ACR_SCOPE, { abortSignal: ctx.signal });
    ctx.log.redactor.add(token.token);
    return token.token;
  } catch (error) {
    // A transport failure the core classified (DNS, TLS, proxy, reset, timeout) is the real cause.
    if (transport.lastFault) throw transport.lastFault;
    throw new CredkitError(
      'denied',
      `the ${source} managed identity endpoint refused a token for ${who}: ${firstLine(error)}`,
    );
  }
}

/** As upstream: an ARM resource ID (it contains `/subscriptions/`) is a resource id, else a client id. */
function identityOption(id: string | undefined): { clientId?: string; resourceId?: string } {
  if (!id) return {};
  return id.toUpperCase().includes('/SUBSCRIPTIONS/') ? { resourceId: id } : { clientId: id };
}

/** The SDK's HttpClient, as requests through the core's Http; remembers the last transport fault. */
function coreHttpClient(ctx: NodeContext, source: SdkSource): { client: HttpClient; lastFault?: NetworkFault } {
  const state: { client: HttpClient; lastFault?: NetworkFault } = {
    client: {
      async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
        try {
          const answer = await ctx.http.request(request.url, {
            method: request.method,
            headers: request.headers.toJSON(),
            ...(typeof request.body === 'string' ? { body: request.body } : {}),
            what: `the ${source} managed identity endpoint`,
            // Local agents answer at once; a short bound lets the SDK's retries fit the deadline.
            timeoutMs: 5_000,
          });
          const headers = createHttpHeaders(
            Object.fromEntries(
              Object.entries(answer.headers).flatMap(([name, value]) =>
                value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
              ),
            ),
          );
          return { request, status: answer.status, headers, bodyAsText: answer.text };
        } catch (error) {
          if (error instanceof NetworkFault) state.lastFault = error;
          throw error;
        }
      },
    },
  };
  return state;
}

/**
 * The part of the SDK's message an operator acts on: `ManagedIdentityCredential: Authentication
 * failed. Message invalid_request: Error(s): ... - Description: Identity not found - ...` becomes
 * `invalid_request: Identity not found`.
 */
function firstLine(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  const text = message.replace(/^ManagedIdentityCredential: /, '').replace(/^Authentication failed\. Message /, '');
  const msal = /^([\w-]+): Error\(s\):.* - Description: (.*?) - Correlation ID:/.exec(text);
  return cut(msal ? `${msal[1]}: ${msal[2]}` : text, 300);
}

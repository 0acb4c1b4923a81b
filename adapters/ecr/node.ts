/**
 * The node leg: the node's own AWS identity, in the SDK's order (env, shared config and credentials
 * files, web identity token file, container credentials, instance metadata), as upstream's
 * `config.LoadDefaultConfig` does (research/aws-ecr.md §1.1). The first four are the SDK's own
 * credential providers, loaded only when the node has something for them to read, on a request
 * handler over the core's agent (an SDK's own pipeline: the one accepted exception to "every call
 * through the exchange layer"); instance metadata is credkit's IMDSv2 client on the exchange layer.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { CredkitError, cloudText, type Env, type Http } from '../../core/index.ts';
import type { AwsContext, AwsCredentials } from './aws.ts';
import { endpointSettings, resolveEndpoint } from './endpoints.ts';
import { imdsCredentials, imdsDisabled } from './imds.ts';

export interface NodeCredentials {
  credentials: AwsCredentials;
  /** Where they came from, for logs and error messages. */
  source: string;
}

type Link = [source: string, resolve: () => Promise<AwsCredentials>];

/** Upstream gives every AWS call 30 s (`kubernetes/cloud-provider-aws#1374`); two tries fit in the kubelet's 60 s. */
const SDK_REQUEST_TIMEOUT_MS = 10_000;
const SDK_CONNECT_TIMEOUT_MS = 5_000;

export async function nodeCredentials(ctx: AwsContext, region: string): Promise<NodeCredentials> {
  if (sdkChainHasInput(ctx.env)) {
    const fromSdk = await sdkChain(ctx, region);
    if (fromSdk) return found(ctx, fromSdk.credentials, fromSdk.source);
  }
  if (imdsDisabled(ctx.env)) {
    throw new CredkitError(
      'usage',
      'no AWS credentials for the node: none in the environment, ~/.aws or AWS_WEB_IDENTITY_TOKEN_FILE, and AWS_EC2_METADATA_DISABLED is set',
    );
  }
  try {
    return found(ctx, await imdsCredentials(ctx), 'instance metadata');
  } catch (error) {
    if (!(error instanceof CredkitError) || error.kind === 'deadline') throw error;
    // Say where the chain ended, so "cannot reach 169.254.169.254" reads as "no node identity".
    throw new CredkitError(
      error.kind,
      `no AWS credentials for the node: instance metadata (IMDSv2): ${error.message}`,
      { cause: error },
    );
  }
}

/**
 * Whether any link before instance metadata has something to read. When none has (the usual EKS
 * node: an instance profile and nothing else), the SDK would only look and pass; not loading it
 * saves its module evaluation on every node-identity exec.
 */
export function sdkChainHasInput(env: Env): boolean {
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE) return true;
  if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return true;
  const home = env.HOME || env.USERPROFILE || homedir();
  const files = [
    env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
    env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
  ];
  return files.some((file) => existsSync(file));
}

async function sdkChain(ctx: AwsContext, region: string): Promise<NodeCredentials | undefined> {
  const providers = await import('@aws-sdk/credential-providers');
  const clientConfig = stsClientConfig(ctx.env, region, await requestHandler(ctx.http));
  const env = ctx.env;
  const links: Link[] = [
    // As the SDK: a profile named in AWS_PROFILE beats static keys in the environment.
    ['environment', () => (env.AWS_PROFILE ? skip('AWS_PROFILE is set') : providers.fromEnv()())],
    ['shared config', () => providers.fromIni({ clientConfig, ignoreCache: true })()],
    ['web identity token file', () => providers.fromTokenFile({ clientConfig })()],
    [
      'container credentials',
      () =>
        env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
          ? mustAnswer(providers.fromHttp({})())
          : skip('no container credentials endpoint'),
    ],
  ];
  for (const [source, resolve] of links) {
    const credentials = await tryLink(source, resolve);
    if (credentials) return { credentials, source };
  }
  return undefined;
}

/** A request handler on the core's agent for the SDK's own STS calls; throws on timeouts (Smithy only warns). */
async function requestHandler(http: Http): Promise<NodeHttpHandler> {
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  return new NodeHttpHandler({
    httpAgent: http.agent,
    httpsAgent: http.agent,
    connectionTimeout: SDK_CONNECT_TIMEOUT_MS,
    requestTimeout: SDK_REQUEST_TIMEOUT_MS,
    throwOnRequestTimeout: true,
  });
}

/**
 * The STS client settings for the SDK's profile and token-file providers. The JS SDK ignores
 * AWS_STS_REGIONAL_ENDPOINTS, so where credkit's endpoint rules choose the global endpoint the
 * client is pointed at it, signed for us-east-1, as the SDKs that know the variable do.
 */
export function stsClientConfig(env: Env, region: string, handler: NodeHttpHandler) {
  const settings = endpointSettings(env, 'sts');
  if (settings.stsGlobal && settings.custom === undefined) {
    const endpoint = resolveEndpoint('sts', region, settings);
    if (endpoint.signingRegion !== region) {
      return { region: endpoint.signingRegion, endpoint: endpoint.url, requestHandler: handler };
    }
  }
  return { region, requestHandler: handler };
}

/** A link that has nothing to offer says so with `tryNextLink`; anything else is a real failure. */
async function tryLink(source: string, resolve: () => Promise<AwsCredentials>): Promise<AwsCredentials | undefined> {
  try {
    return await resolve();
  } catch (error) {
    if ((error as { tryNextLink?: boolean }).tryNextLink !== false && isNothingHere(error)) return undefined;
    if (error instanceof CredkitError) throw error;
    throw new CredkitError('denied', `AWS credentials from ${source} failed: ${describeSdkError(error)}`, {
      cause: error,
    });
  }
}

/**
 * A source the node's environment names must answer. The SDK marks a failing container endpoint
 * "try the next link", which would quietly pull as the instance role (a wider identity than the
 * EKS Pod Identity association the operator set up); the Go SDK's call fails there, and so does this.
 */
async function mustAnswer(credentials: Promise<AwsCredentials>): Promise<AwsCredentials> {
  try {
    return await credentials;
  } catch (error) {
    throw Object.assign(error as Error, { tryNextLink: false });
  }
}

function isNothingHere(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'CredentialsProviderError' || name === 'ProviderError' || error instanceof SkipLink;
}

class SkipLink extends Error {
  override name = 'SkipLink';
}

function skip(why: string): never {
  throw new SkipLink(why);
}

/** `Code: message` for an error the SDK raised, one line. */
function describeSdkError(error: unknown): string {
  const shape = (error ?? {}) as { name?: string; message?: string };
  const code = shape.name && shape.name !== 'Error' ? shape.name : 'Error';
  const message = cloudText(shape.message ?? String(error));
  return message !== code ? `${code}: ${message}` : code;
}

function found(ctx: AwsContext, credentials: AwsCredentials, source: string): NodeCredentials {
  ctx.log.redactor.add(credentials.secretAccessKey, credentials.sessionToken);
  ctx.log.v(2).info('using the node AWS credentials', { source, accessKeyId: credentials.accessKeyId });
  return { credentials, source };
}

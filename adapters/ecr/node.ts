/**
 * The node's own AWS identity: the SDK's default credential chain, in the SDK's order (env, shared
 * config and credentials files, web identity token file, container credentials, instance metadata),
 * as upstream's `config.LoadDefaultConfig` does (research/aws-ecr.md §1.1). STS calls made by
 * profiles and the token file use the core's agent; instance metadata is credkit's own client.
 */
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Context, CredkitError } from '../../core/index.ts';
import { type AwsCredentials, describeSdkError, stsClientConfig } from './aws.ts';
import { imdsCredentials, imdsDisabled } from './imds.ts';

export interface NodeCredentials {
  credentials: AwsCredentials;
  /** Where they came from, for logs and error messages. */
  source: string;
}

type Link = [source: string, resolve: () => Promise<AwsCredentials>];

export async function nodeCredentials(
  ctx: Pick<Context, 'env' | 'http' | 'log' | 'signal'>,
  region: string,
  handler: NodeHttpHandler,
): Promise<NodeCredentials> {
  const providers = await import('@aws-sdk/credential-providers');
  const clientConfig = stsClientConfig(ctx.env, region, handler);
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
          ? providers.fromHttp({})()
          : skip('no container credentials endpoint'),
    ],
  ];
  for (const [source, resolve] of links) {
    const credentials = await tryLink(source, resolve);
    if (credentials) return found(ctx, credentials, source);
  }
  if (imdsDisabled(env)) {
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
      {
        cause: error,
      },
    );
  }
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

function found(ctx: Pick<Context, 'log'>, credentials: AwsCredentials, source: string): NodeCredentials {
  ctx.log.redactor.add(credentials.secretAccessKey, credentials.sessionToken);
  ctx.log.v(2).info('using the node AWS credentials', { source, accessKeyId: credentials.accessKeyId });
  return { credentials, source };
}

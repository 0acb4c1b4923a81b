/**
 * ECR's GetAuthorizationToken, private or public (research/aws-ecr.md §1.6-1.7, wire shape §5.1-5.2),
 * and the decoding of its token into the registry's Basic credentials. No `registryIds` are sent:
 * the default registry's token opens every registry the principal may read (upstream #667).
 */
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Context, CredkitError } from '../../core/index.ts';
import { type AwsCredentials, retrying, sdkFailure } from './aws.ts';
import type { EcrRegistry } from './registry.ts';

export interface AuthorizationData {
  authorizationToken?: string;
  expiresAt?: Date;
}

export interface RegistryCredentials {
  username: string;
  password: string;
  expiresAt?: Date;
}

export async function getAuthorizationToken(
  ctx: Pick<Context, 'log' | 'signal'>,
  registry: EcrRegistry,
  credentials: AwsCredentials,
  handler: NodeHttpHandler,
  principal: string,
): Promise<RegistryCredentials> {
  const service = registry.kind === 'public' ? 'ECR Public' : 'ECR';
  const what = `${service} GetAuthorizationToken in ${registry.region} for ${principal}`;
  let data: AuthorizationData | undefined;
  try {
    data = await retrying(ctx, `${service} GetAuthorizationToken`, () => send(ctx, registry, credentials, handler));
  } catch (error) {
    throw describeEcrError(error, what);
  }
  if (!data) throw new CredkitError('unavailable', `${what}: authorization data was empty`);
  if (data.authorizationToken === undefined) {
    throw new CredkitError('unavailable', `${what}: authorization token in response was nil`);
  }
  ctx.log.redactor.add(data.authorizationToken);
  const { username, password } = decodeAuthorizationToken(data.authorizationToken);
  ctx.log.redactor.add(password);
  return { username, password, ...(data.expiresAt ? { expiresAt: data.expiresAt } : {}) };
}

/** One GetAuthorizationToken; only the first authorizationData entry counts, as upstream. */
async function send(
  ctx: Pick<Context, 'signal'>,
  registry: EcrRegistry,
  credentials: AwsCredentials,
  handler: NodeHttpHandler,
): Promise<AuthorizationData | undefined> {
  const config = { region: registry.region, credentials, requestHandler: handler, maxAttempts: 1 };
  if (registry.kind === 'public') {
    const { ECRPUBLICClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr-public');
    const output = await new ECRPUBLICClient(config).send(new GetAuthorizationTokenCommand({}), {
      abortSignal: ctx.signal,
    });
    return output.authorizationData;
  }
  const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
  const output = await new ECRClient(config).send(new GetAuthorizationTokenCommand({}), { abortSignal: ctx.signal });
  return output.authorizationData?.[0];
}

function describeEcrError(error: unknown, what: string): CredkitError {
  const code = (error as Error | undefined)?.name;
  const fixes: Record<string, string> = {
    AccessDeniedException:
      'grant ecr:GetAuthorizationToken (ECR Public: also sts:GetServiceBearerToken) to this principal',
    UnsupportedCommandException: 'ECR Public is served only from the aws partition (us-east-1)',
  };
  const failure = sdkFailure(error, 'denied', what);
  const fix = code ? fixes[code] : undefined;
  return fix ? new CredkitError(failure.kind, `${failure.message}: ${fix}`, { cause: error }) : failure;
}

const STD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * `base64(username:password)`, decoded as Go's strict `StdEncoding` does (upstream), not as Node's
 * lenient Buffer would: a token that is not canonical padded base64 is refused. Go skips CR and LF.
 * The split is on the first colon; passwords may contain colons.
 */
export function decodeAuthorizationToken(token: string): { username: string; password: string } {
  const text = token.replace(/[\r\n]/g, '');
  const bad = text.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0 || !STD_BASE64.test(text) || text.length % 4 !== 0) {
    const where = bad >= 0 ? ` at input byte ${bad}` : ' (length or padding)';
    throw new CredkitError('unavailable', `authorization token from ECR is not base64: illegal base64 data${where}`);
  }
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    throw new CredkitError('unavailable', 'error parsing username and password from authorization token');
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

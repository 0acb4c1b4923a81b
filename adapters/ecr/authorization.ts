/**
 * ECR's GetAuthorizationToken, private or public (research/aws-ecr.md §1.6-1.7, wire shape §5.1-5.2),
 * as a described call signed with whichever identity answers (pod or node), and the decoding of its
 * token into the registry's Basic credentials. No `registryIds` are sent: the default registry's
 * token opens every registry the principal may read (upstream #667).
 */
import * as z from 'zod/mini';
import { CredkitError, type Refusal } from '../../core/index.ts';
import { type AwsContext, type AwsCredentials, awsErrorOf, awsExchange, describeRefusal, refusalKind } from './aws.ts';
import { endpointSettings, resolveEndpoint } from './endpoints.ts';
import type { EcrRegistry } from './registry.ts';

export interface RegistryCredentials {
  username: string;
  password: string;
  expiresAt?: Date;
}

/** The awsJson1_1 targets (X-Amz-Target) of the two services' GetAuthorizationToken. */
const TARGETS = {
  private: 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
  public: 'SpencerFrontendService.GetAuthorizationToken',
} as const;

const authorizationData = z.object({
  authorizationToken: z.optional(z.string()),
  /** Epoch seconds as a JSON number (fractional), as awsJson timestamps are. */
  expiresAt: z.optional(z.number()),
});
/** Private ECR answers a list (one entry per registry id asked for), ECR Public one object. */
const privateAnswer = z.object({ authorizationData: z.optional(z.array(authorizationData)) });
const publicAnswer = z.object({ authorizationData: z.optional(authorizationData) });

/** Fixes for the refusals an operator can act on, by ECR error code. */
const FIXES: Record<string, string> = {
  AccessDeniedException:
    'grant ecr:GetAuthorizationToken (ECR Public: also sts:GetServiceBearerToken) to this principal',
  UnsupportedCommandException: 'ECR Public is served only from the aws partition (us-east-1)',
};

export async function getAuthorizationToken(
  ctx: AwsContext,
  registry: EcrRegistry,
  credentials: AwsCredentials,
  principal: string,
): Promise<RegistryCredentials> {
  const service = registry.kind === 'public' ? 'ecr-public' : 'ecr';
  const endpoint = resolveEndpoint(service, registry.region, endpointSettings(ctx.env, service));
  const what = `${registry.kind === 'public' ? 'ECR Public' : 'ECR'} GetAuthorizationToken in ${registry.region} for ${principal}`;
  const call = {
    what,
    url: `${endpoint.url}/`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': TARGETS[registry.kind] },
    body: '{}',
    sign: { service, region: endpoint.signingRegion, credentials },
    refused: (refusal: Refusal) => refusedByEcr(what, refusal),
  };
  // Only the first authorizationData entry counts, as upstream.
  const data =
    registry.kind === 'public'
      ? (await awsExchange(ctx, { ...call, schema: publicAnswer })).authorizationData
      : (await awsExchange(ctx, { ...call, schema: privateAnswer })).authorizationData?.[0];
  if (!data) throw new CredkitError('unavailable', `${what}: authorization data was empty`);
  if (data.authorizationToken === undefined) {
    throw new CredkitError('unavailable', `${what}: authorization token in response was nil`);
  }
  ctx.log.redactor.add(data.authorizationToken);
  const { username, password } = decodeAuthorizationToken(data.authorizationToken);
  ctx.log.redactor.add(password);
  const expiresAt = data.expiresAt !== undefined ? new Date(data.expiresAt * 1000) : undefined;
  return { username, password, ...(expiresAt ? { expiresAt } : {}) };
}

function refusedByEcr(what: string, refusal: Refusal): CredkitError {
  const code = awsErrorOf(refusal.text, refusal.headers)?.code;
  const fix = code ? FIXES[code] : undefined;
  const kind = refusalKind(refusal, 'denied');
  return new CredkitError(kind, `${what}: ${describeRefusal(refusal)}${fix ? `: ${fix}` : ''}`);
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

/**
 * Instance role credentials from the EC2 instance metadata service, IMDSv2: three described calls
 * (PUT a session token, GET the role name, GET its credentials) on the core's exchange layer. Not
 * the SDK's IMDS client, which opens its own sockets (no proxy, no agent, no deadline) and retries
 * by itself. The env vars are the SDK's, so a node configured for the SDK is configured for this;
 * its timeout and attempts become the described calls' `timeoutMs` and `attempts`.
 */
import * as z from 'zod/mini';
import { CredkitError, type Env, type ExchangeContext, exchange, type Refusal } from '../../core/index.ts';
import type { AwsCredentials } from './aws.ts';

const IPV4_ENDPOINT = 'http://169.254.169.254';
const IPV6_ENDPOINT = 'http://[fd00:ec2::254]';
const TOKEN_PATH = '/latest/api/token';
const ROLE_PATH = '/latest/meta-data/iam/security-credentials/';
/** The session token's lifetime; it only has to outlive this exec. */
const TOKEN_TTL_SECONDS = '300';
/** The SDKs fall back to IMDSv1 on these answers to the token request, unless v1 is disabled. */
const V1_FALLBACK_STATUSES = [403, 404, 405];

interface ImdsSettings {
  endpoint: string;
  timeoutMs: number;
  attempts: number;
  v1Fallback: boolean;
}

function settings(env: Env): ImdsSettings {
  const mode = env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE?.toLowerCase();
  const endpoint = env.AWS_EC2_METADATA_SERVICE_ENDPOINT || (mode === 'ipv6' ? IPV6_ENDPOINT : IPV4_ENDPOINT);
  // The SDK's knobs: timeout in seconds (default 1) and attempts; a node at boot answers slowly.
  const timeoutSeconds = Number(env.AWS_METADATA_SERVICE_TIMEOUT);
  const attempts = Number(env.AWS_METADATA_SERVICE_NUM_ATTEMPTS);
  return {
    endpoint: endpoint.replace(/\/+$/, ''),
    timeoutMs: timeoutSeconds > 0 ? timeoutSeconds * 1000 : 2_000,
    attempts: Number.isInteger(attempts) && attempts > 0 ? attempts : 3,
    v1Fallback: env.AWS_EC2_METADATA_V1_DISABLED?.toLowerCase() !== 'true',
  };
}

export function imdsDisabled(env: Env): boolean {
  const value = env.AWS_EC2_METADATA_DISABLED;
  return value !== undefined && value !== '' && value.toLowerCase() !== 'false';
}

const imdsCredentialsAnswer = z.object({
  Code: z.optional(z.string()),
  AccessKeyId: z.optional(z.string()),
  SecretAccessKey: z.optional(z.string()),
  Token: z.optional(z.string()),
  Expiration: z.optional(z.string()),
});

/** PUT token, GET role name, GET credentials: three round trips to the link-local service. */
export async function imdsCredentials(ctx: ExchangeContext & { env: Env }): Promise<AwsCredentials> {
  const config = settings(ctx.env);
  const call = { timeoutMs: config.timeoutMs, attempts: config.attempts } as const;
  const at = (path: string) => `${config.endpoint}${path}`;

  const token = await exchange(ctx, {
    ...call,
    what: 'instance metadata (IMDSv2 session token)',
    url: at(TOKEN_PATH),
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS },
    expect: config.v1Fallback ? [200, ...V1_FALLBACK_STATUSES] : [200],
    parse: (text, _headers, status) => (status === 200 ? text.trim() : ''),
    schema: z.string(),
    refused: (refusal) =>
      new CredkitError(
        'unavailable',
        `instance metadata refused an IMDSv2 session token (HTTP ${refusal.status}): check the instance's metadata options (hop limit, IMDSv2)`,
      ),
  });
  ctx.log.redactor.add(token);
  const headers: Record<string, string> = token ? { 'x-aws-ec2-metadata-token': token } : {};

  const role = await exchange(ctx, {
    ...call,
    what: 'instance metadata (instance profile role)',
    url: at(ROLE_PATH),
    headers,
    parse: (text) => text.split('\n')[0]?.trim() ?? '',
    schema: z.string(),
    refused: (refusal) =>
      refusal.status === 404
        ? new CredkitError(
            'usage',
            'this instance has no IAM instance profile: attach one with a role allowed ecr:GetAuthorizationToken',
          )
        : unexpected(ROLE_PATH, refusal),
  });
  if (!role) {
    throw new CredkitError('usage', 'the instance profile lists no role: attach a role to the instance profile');
  }

  const path = `${ROLE_PATH}${encodeURIComponent(role)}`;
  const body = await exchange(ctx, {
    ...call,
    what: `instance metadata credentials for role ${role}`,
    url: at(path),
    headers,
    schema: imdsCredentialsAnswer,
    refused: (refusal) => unexpected(`${ROLE_PATH}${role}`, refusal),
  });
  ctx.log.redactor.add(body.SecretAccessKey, body.Token);
  return instanceCredentials(body, role);
}

function unexpected(path: string, refusal: Refusal): CredkitError {
  return new CredkitError('unavailable', `instance metadata ${path} answered HTTP ${refusal.status}`);
}

function instanceCredentials(body: z.infer<typeof imdsCredentialsAnswer>, role: string): AwsCredentials {
  if (body.Code !== undefined && body.Code !== 'Success') {
    throw new CredkitError('denied', `instance metadata has no credentials for role ${role}: ${body.Code}`);
  }
  if (!body.AccessKeyId || !body.SecretAccessKey) {
    throw new CredkitError(
      'unavailable',
      `instance metadata credentials for role ${role} lack AccessKeyId or SecretAccessKey`,
    );
  }
  const expiration = body.Expiration ? new Date(body.Expiration) : undefined;
  return {
    accessKeyId: body.AccessKeyId,
    secretAccessKey: body.SecretAccessKey,
    ...(body.Token ? { sessionToken: body.Token } : {}),
    ...(expiration && !Number.isNaN(expiration.getTime()) ? { expiration } : {}),
  };
}

/**
 * Instance role credentials from the EC2 instance metadata service, IMDSv2. Written here rather than
 * taken from the SDK because the SDK's IMDS client opens its own sockets (no proxy, no agent, no
 * deadline); this one goes through the core's HTTP layer like every other call. Env vars are the
 * SDK's own, so a node configured for the SDK is configured for this.
 */
import { type Context, CredkitError, withRetry } from '../../core/index.ts';
import type { AwsCredentials } from './aws.ts';

const IPV4_ENDPOINT = 'http://169.254.169.254';
const IPV6_ENDPOINT = 'http://[fd00:ec2::254]';
const TOKEN_PATH = '/latest/api/token';
const ROLE_PATH = '/latest/meta-data/iam/security-credentials/';
/** The session token's lifetime; it only has to outlive this exec. */
const TOKEN_TTL_SECONDS = '300';

interface ImdsSettings {
  endpoint: string;
  timeoutMs: number;
  attempts: number;
  v1Fallback: boolean;
}

function settings(env: Context['env']): ImdsSettings {
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

export function imdsDisabled(env: Context['env']): boolean {
  const value = env.AWS_EC2_METADATA_DISABLED;
  return value !== undefined && value !== '' && value.toLowerCase() !== 'false';
}

/** PUT token, GET role name, GET credentials: three round trips to the link-local service. */
export async function imdsCredentials(ctx: Pick<Context, 'env' | 'http' | 'log' | 'signal'>): Promise<AwsCredentials> {
  const config = settings(ctx.env);
  const call = async (method: string, path: string, headers: Record<string, string>) =>
    withRetry(
      async () => {
        const res = await ctx.http.request(`${config.endpoint}${path}`, {
          method,
          headers,
          timeoutMs: config.timeoutMs,
        });
        if (res.status >= 500 || res.status === 429) {
          throw new CredkitError('unavailable', `instance metadata ${path} answered HTTP ${res.status}`);
        }
        return res;
      },
      {
        signal: ctx.signal,
        attempts: config.attempts,
        retryable: (e) => e instanceof CredkitError && e.kind === 'unavailable',
      },
    );

  const headers = await sessionHeaders(config, call);
  ctx.log.redactor.add(headers['x-aws-ec2-metadata-token']);
  const roles = await call('GET', ROLE_PATH, headers);
  if (roles.status === 404) {
    throw new CredkitError(
      'usage',
      'this instance has no IAM instance profile: attach one with a role allowed ecr:GetAuthorizationToken',
    );
  }
  expectOk(roles.status, ROLE_PATH);
  const role = roles.text.split('\n')[0]?.trim();
  if (!role)
    throw new CredkitError('usage', 'the instance profile lists no role: attach a role to the instance profile');

  const answer = await call('GET', `${ROLE_PATH}${encodeURIComponent(role)}`, headers);
  expectOk(answer.status, `${ROLE_PATH}${role}`);
  return parseImdsCredentials(answer.text, role, ctx);
}

type Call = (
  method: string,
  path: string,
  headers: Record<string, string>,
) => Promise<{ status: number; text: string }>;

async function sessionHeaders(config: ImdsSettings, call: Call): Promise<Record<string, string>> {
  const res = await call('PUT', TOKEN_PATH, { 'x-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS });
  if (res.status === 200 && res.text) return { 'x-aws-ec2-metadata-token': res.text.trim() };
  // The SDKs fall back to IMDSv1 on these, unless the operator forbade it.
  if ([403, 404, 405].includes(res.status) && config.v1Fallback) return {};
  throw new CredkitError(
    'unavailable',
    `instance metadata refused an IMDSv2 session token (HTTP ${res.status}): check the instance's metadata options (hop limit, IMDSv2)`,
  );
}

function expectOk(status: number, path: string): void {
  if (status !== 200) throw new CredkitError('unavailable', `instance metadata ${path} answered HTTP ${status}`);
}

function parseImdsCredentials(text: string, role: string, ctx: Pick<Context, 'log'>): AwsCredentials {
  let body: { Code?: string; AccessKeyId?: string; SecretAccessKey?: string; Token?: string; Expiration?: string };
  try {
    body = JSON.parse(text);
  } catch {
    throw new CredkitError('unavailable', `instance metadata credentials for role ${role} are not JSON`);
  }
  ctx.log.redactor.add(body.SecretAccessKey, body.Token);
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

/**
 * The glue between the AWS SDK and the core: every SDK client sends through the core's proxy- and
 * CA-aware agent, makes one attempt per send (the core's retry loop owns backoff, within the exec's
 * deadline), and its errors are sorted into "try again" and "tell the operator".
 */
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Context, CredkitError, type ErrorKind, oneLine, withRetry } from '../../core/index.ts';

/** Credentials as the SDK takes them; declared here so no SDK type import is needed. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** Upstream gives every AWS call 30 s (`kubernetes/cloud-provider-aws#1374`); two tries fit in the kubelet's 60 s. */
export const REQUEST_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** Attempts per AWS call: three throttles and a success fit; backoff is capped by the deadline anyway. */
export const ATTEMPTS = 5;

/** A request handler on the core's agent; throws on timeouts instead of only warning (Smithy's default). */
export async function requestHandler(ctx: Pick<Context, 'http'>): Promise<NodeHttpHandler> {
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  return new NodeHttpHandler({
    httpAgent: ctx.http.agent,
    httpsAgent: ctx.http.agent,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    throwOnRequestTimeout: true,
  });
}

/** The regions whose STS calls went to sts.amazonaws.com before regional endpoints became the default. */
const LEGACY_GLOBAL_STS_REGIONS = new Set([
  'ap-northeast-1',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
]);

/**
 * STS client settings. The JS SDK ignores AWS_STS_REGIONAL_ENDPOINTS (it is always regional, and its
 * `useGlobalEndpoint` switch makes AssumeRoleWithWebIdentity demand credentials). Nodes may set
 * `legacy` to keep sts.amazonaws.com, e.g. when only that name passes an egress proxy; so `legacy`
 * is honoured here as the SDKs that know it do: the global endpoint, signed for us-east-1, for the
 * regions that had it, unless an explicit endpoint or FIPS is configured.
 */
export function stsClientConfig(env: Context['env'], region: string, handler: NodeHttpHandler) {
  const legacy =
    env.AWS_STS_REGIONAL_ENDPOINTS?.toLowerCase() === 'legacy' &&
    LEGACY_GLOBAL_STS_REGIONS.has(region) &&
    !env.AWS_ENDPOINT_URL_STS &&
    !env.AWS_ENDPOINT_URL &&
    env.AWS_USE_FIPS_ENDPOINT?.toLowerCase() !== 'true';
  if (legacy) return { region: 'us-east-1', endpoint: 'https://sts.amazonaws.com', requestHandler: handler };
  return { region, requestHandler: handler };
}

/** Error names AWS services use for "slow down" (awsJson `__type`, awsQuery `Code`). */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);
/** Failures on the way, not refusals: worth another attempt. */
const TRANSIENT = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'IDPCommunicationError',
  'IDPCommunicationErrorException', // the JS SDK's class name for STS's IDPCommunicationError
  'ServiceUnavailable',
  'ServerException',
  'InternalFailure',
  'InternalError',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export function errorCode(error: unknown): string {
  const shape = (error ?? {}) as SdkErrorShape;
  return shape.name && shape.name !== 'Error' ? shape.name : (shape.code ?? 'Error');
}

export function httpStatus(error: unknown): number | undefined {
  return (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

/** Whether an SDK (or core HTTP) error is throttling, a 5xx, or a network failure. */
export function isTransient(error: unknown): boolean {
  if (error instanceof CredkitError) return error.kind === 'unavailable';
  if ((error as Error | undefined)?.name === 'AbortError') return false;
  const code = errorCode(error);
  const status = httpStatus(error);
  if (THROTTLING.has(code) || TRANSIENT.has(code)) return true;
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  return errno !== undefined && NETWORK_CODES.has(errno);
}

/** Runs one AWS call with the core's jittered retries; logs each retry at --v=2. */
export function retrying<T>(ctx: Pick<Context, 'signal' | 'log'>, what: string, call: () => Promise<T>): Promise<T> {
  return withRetry(call, {
    signal: ctx.signal,
    attempts: ATTEMPTS,
    retryable: isTransient,
    onRetry: (error, attempt, delayMs) =>
      ctx.log.v(2).info(`${what} failed, retrying`, { attempt, error: errorCode(error), delayMs: Math.round(delayMs) }),
  });
}

/** The cloud's own words, one line and bounded (they may be long HTML from a proxy). */
export function cloudMessage(error: unknown): string {
  const text = oneLine(String((error as SdkErrorShape | undefined)?.message ?? error));
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * `Code: message` for an SDK error. An answer with no AWS error in it (a proxy refusing CONNECT, a
 * load balancer's HTML page) reaches the SDK as "Unknown: Unknown"; say what it was instead.
 */
export function describeSdkError(error: unknown): string {
  const code = errorCode(error);
  const message = cloudMessage(error);
  const status = httpStatus(error);
  if ((code === 'Unknown' || code === 'UnknownError') && status !== undefined) {
    return `HTTP ${status} without an AWS error in the body (did a proxy or load balancer answer?)`;
  }
  return message && message !== code ? `${code}: ${message}` : code;
}

/** What an error the SDK raised means for the exec: deadline, still failing after retries, or `fallback`. */
export function sdkFailure(error: unknown, fallback: ErrorKind, message: string): CredkitError {
  if (error instanceof CredkitError && error.kind === 'deadline') return error;
  if ((error as Error | undefined)?.name === 'AbortError') {
    return new CredkitError('deadline', `${message}: the deadline passed`, { cause: error });
  }
  const kind = isTransient(error) ? 'unavailable' : fallback;
  return new CredkitError(kind, `${message}: ${describeSdkError(error)}`, { cause: error });
}

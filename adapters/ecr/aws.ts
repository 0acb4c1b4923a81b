/**
 * AWS's wire, on the core's exchange layer: a described call signed with SigV4 (`aws4fetch`'s signer,
 * on the runtime's WebCrypto), AWS error bodies read as the SDKs read them (awsJson
 * `__type`, awsQuery `<Error><Code>`), throttling recognised by its code (AWS answers it with 400),
 * and the environment's AWS settings (attempts) applied. No SDK client is loaded for STS or ECR: the
 * core's transport sends, the core's one retry rule retries.
 */
import { parseXML } from '@aws-sdk/xml-builder';
import { AwsV4Signer } from 'aws4fetch';
import {
  type Context,
  CredkitError,
  type DescribedCall,
  type ErrorKind,
  type ExchangeContext,
  exchange,
  type HttpResponse,
  isCredkitError,
  NetworkFault,
  type Refusal,
} from '../../core/index.ts';

/** Credentials as SigV4 and the SDK take them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** What an AWS call needs of the exec: the exchange context, the env, the clock, the attempts. */
export interface AwsContext extends ExchangeContext {
  env: Context['env'];
  now(): number;
  /** Attempts per call, including the first (AWS_MAX_ATTEMPTS, else the core's default). */
  attempts?: number;
}

/** Error codes AWS services use for "slow down" (awsJson `__type`, awsQuery `Code`). */
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
]);
/** Failures on AWS's side answered with a 4xx, worth another attempt like a 5xx. */
const TRANSIENT = new Set(['IDPCommunicationError', 'RequestTimeout', 'RequestTimeoutException']);

export interface AwsError {
  code: string;
  message: string;
}

/**
 * The error in an AWS answer, as the SDKs find it: the `x-amzn-errortype` header or the JSON
 * `__type`/`code` (namespace and URI parts dropped), or the XML `<Error><Code>`; undefined when the
 * body holds no AWS error (a proxy's or load balancer's page).
 */
export function awsErrorOf(text: string, headers: HttpResponse['headers'] = {}): AwsError | undefined {
  const header = headers['x-amzn-errortype'];
  const json = readJsonError(text);
  const xml = json ? undefined : readXmlError(text);
  const raw = (typeof header === 'string' && header) || json?.code || xml?.code;
  if (!raw) return undefined;
  const code = raw.split(':')[0]!.split('#').pop()!;
  return { code, message: json?.message ?? xml?.message ?? '' };
}

function readJsonError(text: string): { code?: string; message?: string } | undefined {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (typeof body !== 'object' || body === null) return undefined;
    const code = [body.__type, body.code, body.Code].find((v) => typeof v === 'string') as string | undefined;
    const message = [body.message, body.Message].find((v) => typeof v === 'string') as string | undefined;
    return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
  } catch {
    return undefined;
  }
}

/** awsQuery errors: `<ErrorResponse><Error><Code>…</Code><Message>…</Message></Error>`. */
function readXmlError(text: string): AwsError | undefined {
  if (!text.trimStart().startsWith('<')) return undefined;
  try {
    const error = (parseXML(text) as { ErrorResponse?: { Error?: { Code?: unknown; Message?: unknown } } })
      .ErrorResponse?.Error;
    if (typeof error?.Code !== 'string' || !error.Code) return undefined;
    return { code: error.Code, message: typeof error.Message === 'string' ? error.Message : '' };
  } catch {
    return undefined;
  }
}

/** Whether an answer says "try again": throttling or a transient failure, whatever its status. */
export function isRetryableAwsAnswer(answer: HttpResponse): boolean {
  const code = awsErrorOf(answer.text, answer.headers)?.code;
  return code !== undefined && (THROTTLING.has(code) || TRANSIENT.has(stripException(code)));
}

/** The JS SDK names STS's wire codes with an `Exception` suffix; tables key on the wire's code. */
export function stripException(code: string): string {
  return code.replace(/Exception$/, '');
}

/**
 * `Code: message` of a refusal for an error line; an answer without an AWS error in it says what it
 * probably was instead.
 */
export function describeRefusal(refusal: Refusal): string {
  const error = awsErrorOf(refusal.text, refusal.headers);
  if (!error) return `HTTP ${refusal.status} without an AWS error in the body (did a proxy or load balancer answer?)`;
  return refusal.reason && refusal.reason !== error.code ? refusal.reason : error.code;
}

/** The kind of a refusal: still throttled or failing is `unavailable`, anything else `fallback`. */
export function refusalKind(refusal: Refusal, fallback: ErrorKind): ErrorKind {
  const answer = { status: refusal.status, headers: refusal.headers, text: refusal.text };
  if (refusal.status === 429 || refusal.status === 408 || refusal.status >= 500) return 'unavailable';
  return isRetryableAwsAnswer(answer) ? 'unavailable' : fallback;
}

/** The one-line reason `exchange` puts in `Refusal.reason`: `Code: message`. */
function awsReason(text: string): string {
  const error = awsErrorOf(text);
  if (!error) return text;
  return error.message ? `${error.code}: ${error.message}` : error.code;
}

export interface AwsCall<T> extends Omit<DescribedCall<T>, 'retryable' | 'reason' | 'attempts'> {
  /** Signing name and region; omitted for unsigned calls (AssumeRoleWithWebIdentity). */
  sign?: { service: string; region: string; credentials: AwsCredentials };
}

/**
 * Sends an AWS call through the exchange layer. Transport failures and deadlines say which call
 * they interrupted; refusals are worded by the call's own `refused`.
 */
export async function awsExchange<T>(ctx: AwsContext, call: AwsCall<T>): Promise<T> {
  const { sign, ...described } = call;
  const headers = sign ? await signedHeaders(ctx, call, sign) : (call.headers ?? {});
  const refusals = new WeakSet<Error>();
  try {
    return await exchange(ctx, {
      ...described,
      headers,
      retryable: isRetryableAwsAnswer,
      reason: awsReason,
      ...(ctx.attempts !== undefined ? { attempts: ctx.attempts } : {}),
      refused: (refusal) => {
        const error = call.refused(refusal);
        refusals.add(error);
        return error;
      },
    });
  } catch (error) {
    // Transport faults and the deadline already name the call (core/fault.ts), and refusals word themselves.
    if (!isCredkitError(error) || error instanceof NetworkFault || refusals.has(error)) throw error;
    if (error.kind === 'deadline' || error.message.startsWith(call.what)) throw error;
    throw new CredkitError(error.kind, `${call.what}: ${error.message}`, { cause: error });
  }
}

/**
 * SigV4 headers for the call. `host` is signed but not sent: the transport sends the URL's own host
 * (default port dropped), which is exactly `URL.host`, what the signer signs. aws4fetch rather than
 * the SDK's `@smithy/signature-v4`: that one loads node:crypto, node:stream and Smithy's serde at
 * start-up, about 10 ms of CPU of every credkit-ecr exec (bench/RESULTS.md); this one is WebCrypto.
 */
async function signedHeaders<T>(ctx: AwsContext, call: AwsCall<T>, sign: NonNullable<AwsCall<T>['sign']>) {
  const signer = new AwsV4Signer({
    url: call.url,
    method: call.method ?? 'GET',
    headers: call.headers ?? {},
    ...(call.body !== undefined ? { body: call.body } : {}),
    service: sign.service,
    region: sign.region,
    accessKeyId: sign.credentials.accessKeyId,
    secretAccessKey: sign.credentials.secretAccessKey,
    ...(sign.credentials.sessionToken ? { sessionToken: sign.credentials.sessionToken } : {}),
    // Every header the call sets is signed, content-type too, as the SDK signs them (aws4fetch
    // leaves content-type out by default).
    allHeaders: true,
    // SigV4's basic ISO 8601 form, from the exec's clock: 20261202T031500Z.
    datetime: new Date(ctx.now()).toISOString().replace(/[:-]|\.\d{3}/g, ''),
  });
  const signed = await signer.sign();
  return Object.fromEntries(signed.headers) as Record<string, string>;
}

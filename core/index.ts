/**
 * credkit: the kit for kubelet image credential providers. Public surface only.
 * @packageDocumentation
 */
export type { AdapterDescriptor } from './adapter.ts';
export {
  COMMON_FLAGS,
  type CommandLine,
  type CommonFlags,
  flagSpecsOf,
  helpText,
  MAX_TIMEOUT_MS,
  type ParsedArgs,
  parseProviderArgs,
} from './args.ts';
export { type CacheHintInput, cacheSeconds, DEFAULT_SAFETY_MARGIN_SECONDS, MIN_CACHE_SECONDS } from './cache.ts';
export { formatGoDuration, formatSeconds, isGoDuration, parseDurationMs, parseGoDuration } from './duration.ts';
export { CredkitError, ERROR_KINDS, type ErrorKind, isCredkitError, oneLine, toCredkitError } from './errors.ts';
export {
  CLOUD_TEXT_BUDGET,
  cloudText,
  DEFAULT_ATTEMPTS,
  DEFAULT_MAX_ANSWER_BYTES,
  type DescribedCall,
  type ExchangeContext,
  exchange,
  type Refusal,
  refusedBy,
  transportVerdict,
} from './exchange.ts';
export {
  AnswerTooLarge,
  type CallSite,
  describeNetworkError,
  type FaultKind,
  NetworkFault,
  proxyHost,
  type Retry,
  subjectOf,
} from './fault.ts';
export {
  bypassesProxy,
  createHttp,
  EnvProxyAgent,
  type ExtraCA,
  type Http,
  type HttpOptions,
  type HttpRequestInit,
  type HttpResponse,
  type PinnedRoute,
  proxyFor,
  trustedCAs,
} from './http.ts';
export {
  globMatch,
  hostProblem,
  type ImageRef,
  matchingAuthKeys,
  normaliseAuthKey,
  parseImage,
  parseSchemelessUrl,
  type SchemelessUrl,
  urlsMatch,
} from './image.ts';
export { byteLength, cut, cutWithLength, escapeControl, LINE_BUDGET, quote, VALUE_BUDGET } from './line.ts';
export { createLogger, FIELD_BUDGET, type LogFields, type LogFormat, type Logger, type LoggerOptions } from './log.ts';
export {
  LOG_FLAG_FAMILIES,
  LOG_FLAG_SETS,
  type LogFlagFamily,
  type LogFlagSet,
  type LogFlagSpec,
  type LogFlagValues,
  type LogSettings,
  logSettings,
} from './log-flags.ts';
export * from './protocol.ts';
export {
  type AnnotationKeys,
  annotationKeysOf,
  type Context,
  type Credential,
  defineProvider,
  type Env,
  type FlagSpec,
  type FlagSpecs,
  type FlagValues,
  isProvider,
  matchImagesOf,
  type Provider,
  type ProviderDefinition,
  type RequestScope,
  type TokenAttributes,
  tokenAttributesOf,
} from './provider.ts';
export { Redactor } from './redact.ts';
export {
  createDeadline,
  DEFAULT_TIMEOUT_MS,
  type Deadline,
  isRetryableStatus,
  type RetryOptions,
  retryAfterMs,
  sleep,
  withRetry,
} from './retry.ts';
export { MAX_REQUEST_BYTES, main, type ProviderIO, runProvider } from './run.ts';
export {
  audiences,
  checkServiceAccountToken,
  decodeServiceAccountToken,
  type ServiceAccountClaims,
  type ServiceAccountIdentity,
  serviceAccountClaimsSchema,
  serviceAccountIdentity,
  type TokenCheck,
} from './token.ts';

/**
 * Cache hints. The kubelet keeps a response for `cacheDuration` and never invalidates it when a
 * pull fails (research/kubelet-protocol.md §6.1), so the duration must end before the credential
 * does. With `cacheType: Token` the kubelet keys the cache by the pod's token, so the entry must also
 * end before that token; with `ServiceAccount` it is keyed by service account and an exchanged
 * credential may (and should, to keep execs rare) outlive the pod's token.
 */
import type { ServiceAccountCacheType } from './protocol.ts';

/** Default margin between the end of the cache entry and the end of the credential. */
export const DEFAULT_SAFETY_MARGIN_SECONDS = 5 * 60;
/** Below this, caching is not worth the risk of serving a credential about to die. */
export const MIN_CACHE_SECONDS = 60;

export interface CacheHintInput {
  /** Now, in ms since the epoch. */
  now: number;
  /** When the returned credential stops working; undefined when the cloud did not say. */
  expiresAt?: Date;
  /** The pod token's `exp` (seconds since the epoch), when one was used. */
  tokenExpiresAt?: number;
  /** The kubelet's tokenAttributes.cacheType for this provider, when it takes tokens. */
  cacheType?: ServiceAccountCacheType;
  safetyMarginSeconds?: number;
  /** What to say when the credential's expiry is unknown (default 0: do not cache). */
  unknownExpirySeconds?: number;
  /** An upper bound the operator set (an upstream cache env var): never cache longer than this. */
  atMostSeconds?: number;
}

/** Seconds the kubelet may cache the answer: never negative, 0 when unknown or too short. */
export function cacheSeconds(input: CacheHintInput): number {
  const cap =
    input.atMostSeconds === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(input.atMostSeconds));
  return Math.min(cap, uncappedSeconds(input));
}

function uncappedSeconds(input: CacheHintInput): number {
  const margin = input.safetyMarginSeconds ?? DEFAULT_SAFETY_MARGIN_SECONDS;
  if (!input.expiresAt) return Math.max(0, Math.floor(input.unknownExpirySeconds ?? 0));

  let until = input.expiresAt.getTime() / 1000 - margin;
  if (input.cacheType === 'Token' && input.tokenExpiresAt !== undefined) {
    until = Math.min(until, input.tokenExpiresAt - margin);
  }
  const seconds = Math.floor(until - input.now / 1000);
  return seconds >= MIN_CACHE_SECONDS ? seconds : 0;
}

/**
 * Upstream's cache settings, `KUBE_SIDECAR_CACHE_DURATION` and `KUBE_SIDECAR_CACHE_TYPE`
 * (cmd/auth-provider-gcp/provider/provider.go, research/gcp-gar.md §1.3). Upstream reads them for
 * every flow, after the network calls; here they are read first, so a typo fails before any call.
 * Their parse rules are upstream's: a Go duration (`60` has no unit and is refused), and the
 * lower-case key types `image`, `registry`, `global` (`Image` is refused, as upstream).
 */
import { type CacheKeyType, CredkitError, type Env, parseGoDuration, quote } from '../../core/index.ts';

export const CACHE_DURATION_ENV = 'KUBE_SIDECAR_CACHE_DURATION';
export const CACHE_TYPE_ENV = 'KUBE_SIDECAR_CACHE_TYPE';

const KEY_TYPES: Record<string, CacheKeyType> = { image: 'Image', registry: 'Registry', global: 'Global' };

export interface CacheSettings {
  /** Whole seconds; a negative duration is 0 (the kubelet would not cache it either). Unset: undefined. */
  durationSeconds?: number;
  keyType?: CacheKeyType;
}

/** Reads both variables; an empty value is unset, as upstream's os.Getenv check. */
export function readCacheSettings(env: Env): CacheSettings {
  const duration = env[CACHE_DURATION_ENV];
  const type = env[CACHE_TYPE_ENV];
  return {
    ...(duration ? { durationSeconds: durationSeconds(duration) } : {}),
    ...(type ? { keyType: keyType(type) } : {}),
  };
}

function durationSeconds(text: string): number {
  let nanos: bigint;
  try {
    nanos = parseGoDuration(text);
  } catch {
    throw new CredkitError(
      'usage',
      `${CACHE_DURATION_ENV} ${quote(text)} is not a Go duration: write it with a unit, like 30m or 1h30m`,
    );
  }
  return nanos <= 0n ? 0 : Number(nanos / 1_000_000_000n);
}

function keyType(text: string): CacheKeyType {
  const type = Object.hasOwn(KEY_TYPES, text) ? KEY_TYPES[text] : undefined;
  if (!type) {
    throw new CredkitError(
      'usage',
      `${CACHE_TYPE_ENV} ${quote(text)}: Unknown cache key; use image, registry or global (lower case, as upstream)`,
    );
  }
  return type;
}

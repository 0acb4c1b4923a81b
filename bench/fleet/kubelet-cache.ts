/**
 * The kubelet's credential cache, as pkg/credentialprovider/plugin/plugin.go keeps it
 * (research/kubelet-protocol.md §1.3, §3.5): one in-memory expiration store per provider, keyed by
 * the response's cacheKeyType base (the image, its registry, or "<global>") joined with the service
 * account key (namespace, name, UID and the passed annotation values; with `cacheType: Token` also
 * the token's hash). Lookups try image, registry, then global, and the first unexpired entry wins,
 * whatever its auth keys. An entry is expired when now is after its expiry. A `cacheDuration` of
 * 0 (or below) is not stored; an absent one falls back to the config's defaultCacheDuration. A
 * kubelet restart empties the store. Keys here are readable strings, not the kubelet's
 * length-prefixed bytes: only their equality matters.
 */

export type CacheKeyType = 'Image' | 'Registry' | 'Global';
export type ServiceAccountCacheType = 'ServiceAccount' | 'Token';

export interface ServiceAccountIdentity {
  namespace: string;
  name: string;
  uid: string;
  /** The values of the annotations the config passes (required and optional keys present). */
  annotations: Record<string, string>;
  /** The pod's token (any stable id of it): part of the key only with cacheType Token. */
  token: string;
}

/** What one plugin answer tells the cache. */
export interface CacheHint {
  cacheKeyType: CacheKeyType;
  /** Seconds; undefined when the response has no cacheDuration (the default applies). */
  cacheDurationSeconds: number | undefined;
}

/** generateServiceAccountCacheKey: SA coordinates and annotations; the token hash only for Token. */
export function serviceAccountKey(sa: ServiceAccountIdentity | undefined, cacheType: ServiceAccountCacheType): string {
  if (!sa) return '';
  const annotations = Object.keys(sa.annotations)
    .sort()
    .map((key) => `${key}=${sa.annotations[key]}`)
    .join(',');
  const base = `${sa.namespace}/${sa.name}/${sa.uid}/${annotations}`;
  return cacheType === 'Token' ? `${base}/token:${sa.token}` : base;
}

/** The base key for a cacheKeyType: the image, `strings.Split(image, "/")[0]`, or "<global>". */
export function baseKey(cacheKeyType: CacheKeyType, image: string): string {
  if (cacheKeyType === 'Image') return image;
  if (cacheKeyType === 'Global') return '<global>';
  return image.split('/')[0] ?? image;
}

const LOOKUP_ORDER: CacheKeyType[] = ['Image', 'Registry', 'Global'];

/** generateCacheKey(baseKey, serviceAccountCacheKey). */
export function cacheKey(cacheKeyType: CacheKeyType, image: string, saKey: string): string {
  return `${baseKey(cacheKeyType, image)}\u0000${saKey}`;
}

/** The keys getCachedCredentials tries, in order. */
export function lookupKeys(image: string, saKey: string): string[] {
  return LOOKUP_ORDER.map((type) => cacheKey(type, image, saKey));
}

/**
 * Interns cache keys as small numbers, shared by every node's cache: a simulated day is tens of
 * millions of lookups, and array slots are an order of magnitude cheaper than string-keyed maps.
 */
export class CacheKeys {
  readonly #ids = new Map<string, number>();

  id(key: string): number {
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(key, id);
    }
    return id;
  }
}

export class KubeletCache {
  /** Key id → expiry, seconds on the simulation clock; undefined when absent. */
  #expiresAt: Array<number | undefined> = [];
  readonly #keys: CacheKeys;
  readonly #defaultCacheDurationSeconds: number;

  constructor(defaultCacheDurationSeconds: number, keys = new CacheKeys()) {
    this.#defaultCacheDurationSeconds = defaultCacheDurationSeconds;
    this.#keys = keys;
  }

  /** Entries stored and not yet dropped (an expired entry is dropped when a lookup meets it). */
  get size(): number {
    return this.#expiresAt.filter((at) => at !== undefined).length;
  }

  /** getCachedCredentials: true on an unexpired entry for image, registry or global (in that order). */
  lookup(now: number, image: string, saKey: string): boolean {
    return this.lookupIds(
      now,
      lookupKeys(image, saKey).map((key) => this.#keys.id(key)),
    );
  }

  /** `lookup` with the key ids made once from `lookupKeys` (the fleet simulation reuses them). */
  lookupIds(now: number, ids: readonly number[]): boolean {
    for (const id of ids) {
      const expiresAt = this.#expiresAt[id];
      if (expiresAt === undefined) continue;
      if (now > expiresAt) {
        this.#expiresAt[id] = undefined;
        continue;
      }
      return true;
    }
    return false;
  }

  /** provide()'s cache write after an exec; returns the entry's expiry, or undefined when not cached. */
  store(now: number, image: string, saKey: string, hint: CacheHint): number | undefined {
    return this.storeId(now, this.#keys.id(cacheKey(hint.cacheKeyType, image, saKey)), hint);
  }

  /** `store` with the key id made once from `cacheKey`. */
  storeId(now: number, id: number, hint: CacheHint): number | undefined {
    const seconds = hint.cacheDurationSeconds ?? this.#defaultCacheDurationSeconds;
    if (seconds <= 0) return undefined;
    const expiresAt = now + seconds;
    this.#expiresAt[id] = expiresAt;
    return expiresAt;
  }

  /** A kubelet restart: the cache lives in memory only. */
  clear(): void {
    this.#expiresAt = [];
  }
}

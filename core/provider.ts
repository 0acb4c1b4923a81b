/**
 * The provider API. A provider answers one question, "which credential for this image and this
 * identity, valid until when"; the core does everything the kubelet is strict about (parsing,
 * token checks, cache hints, the exact response bytes, exit codes).
 */
import { flagSpecsOf } from './args.ts';
import type { Env } from './env.ts';
import type { FlagSpecs, FlagValues } from './flag-spec.ts';
import type { Http } from './http.ts';
import type { ImageRef } from './image.ts';
import type { Logger } from './log.ts';
import { LOG_FLAG_FAMILIES, type LogFlagFamily } from './log-flags.ts';
import type { CacheKeyType, CredentialProviderRequest, ServiceAccountCacheType } from './protocol.ts';
import type { ServiceAccountClaims, ServiceAccountIdentity } from './token.ts';

export type { Env } from './env.ts';
export type { FlagSpec, FlagSpecs, FlagValues } from './flag-spec.ts';

/** What the provider gets for one exec. */
export interface Context<F extends FlagSpecs = FlagSpecs> {
  request: CredentialProviderRequest;
  image: ImageRef;
  /**
   * Present only when the kubelet sent a token (v1, tokenAttributes configured) and the provider
   * exchanges it for this request (`exchangesToken`); the core has then checked it.
   */
  serviceAccount?: {
    token: string;
    claims: ServiceAccountClaims;
    identity: ServiceAccountIdentity;
    /** Only the keys the provider declared; the kubelet forwards only configured keys. */
    annotations: Record<string, string>;
  };
  flags: FlagValues<F>;
  /** Positional arguments after the flags (e.g. the ACR azure.json path). */
  positionals: string[];
  env: Env;
  log: Logger;
  /** Aborts when the overall deadline passes; hand it to every network call. */
  signal: AbortSignal;
  /** The overall deadline, in ms since the epoch. */
  deadline: number;
  /** The proxy- and CA-aware HTTP layer; adapters hand its agents to their SDKs. */
  http: Http;
  now(): number;
}

/** A registry credential. `keys` default to the image's registry (`host[:port]`). */
export interface Credential {
  username: string;
  password: string;
  /** When the credential stops working; drives cacheDuration. Undefined: see `unknownExpirySeconds`. */
  expiresAt?: Date;
  /**
   * How long the kubelet may cache a credential whose expiry the cloud does not tell (a static
   * secret, a token without `exp`), in seconds; used only without `expiresAt`. Default 0: not cached.
   */
  unknownExpirySeconds?: number;
  /** auth keys to return; one of them must match the image under the kubelet's URLsMatch. */
  keys?: string[];
  /**
   * More credentials in the same answer, each under its own keys (a docker config's other entries
   * for this registry): the kubelet tries every key that matches an image, most specific first.
   * They share this credential's cache hints.
   */
  others?: Array<{ username: string; password: string; keys: string[] }>;
  /** This answer's cacheKeyType when it is not the provider's (an env var chose it). */
  cacheKeyType?: CacheKeyType;
  /** Never cache longer than this many seconds (an operator's setting), whatever the expiry. */
  cacheSecondsAtMost?: number;
  /**
   * Set when the password is the pod's token itself (pass-through providers). The core then
   * requires `cacheType: Token`, since the kubelet rejects an echoed token otherwise.
   */
  passThrough?: boolean;
}

/** What a provider can see of a request before anything is fetched: the pre-flight's inputs. */
export type RequestScope<F extends FlagSpecs = FlagSpecs> = Pick<
  Context<F>,
  'request' | 'image' | 'flags' | 'positionals' | 'env' | 'log'
>;

/** What the kubelet config must say for this provider; `credkit config` reads it. */
export interface TokenAttributes {
  /** The audience the cloud demands of the pod's token (serviceAccountTokenAudience). */
  audience: string;
  cacheType: ServiceAccountCacheType;
  requireServiceAccount: boolean;
  requiredAnnotations: string[];
  optionalAnnotations: string[];
}

export interface ProviderDefinition<F extends FlagSpecs = FlagSpecs> {
  /** The provider (and binary) name the kubelet config refers to. */
  name: string;
  version?: string;
  description?: string;
  /**
   * kubelet matchImages globs for this provider (also the default `servesImage`). A function when a
   * flag or env var names the registries (as `audience`), so `credkit config` writes the globs the
   * binary will actually answer for.
   */
  matchImages: string[] | ((ctx: Pick<Context<F>, 'flags' | 'env'>) => string[]);
  /**
   * Which images this provider answers; others get no auth and `0s`. Defaults to matchImages under
   * URLsMatch. Adapters with precise host rules (regexes per partition) override it.
   */
  servesImage?(
    image: ImageRef,
    ctx: Pick<Context<F>, 'flags' | 'positionals' | 'env'> & Partial<Pick<Context<F>, 'log'>>,
  ): boolean;
  /**
   * The audience the pod's token must carry. One declaration feeds the pre-flight token check,
   * `credkit config` and the RBAC. A function when a flag or env var can change it.
   * Undefined: the provider takes no tokens.
   */
  audience?: string | ((ctx: Pick<Context<F>, 'flags' | 'env'>) => string | undefined);
  /**
   * The service account annotation keys the provider reads (kubelet required/optional keys). A
   * function when a flag or env var adds a key (as `audience`).
   */
  annotations?: AnnotationKeys | ((ctx: Pick<Context<F>, 'flags' | 'env'>) => AnnotationKeys);
  /**
   * Whether this request's service account token is going to be exchanged. Only then is it checked
   * before any network call (audience, expiry, subject) and handed over as `ctx.serviceAccount`;
   * otherwise the answer comes from the node's identity and a token of any audience, shape or
   * expiry is ignored, as upstream providers fall back to the node (research/dropin-gaps.md §2).
   * Default: every request, when an audience is declared.
   */
  exchangesToken?(scope: RequestScope<F>): boolean;
  /** kubelet tokenAttributes.cacheType; default ServiceAccount (exchanged credentials). */
  cacheType?: ServiceAccountCacheType;
  /** Whether a pod without a service account should get no credentials (default false). */
  requireServiceAccount?: boolean;
  /** kubelet defaultCacheDuration for the generated config (default "0s"). */
  defaultCacheDuration?: string;
  /** Default Registry: a credential for the registry host serves every image on it. */
  cacheKeyType?: CacheKeyType;
  /** Seconds kept between cache expiry and credential expiry (default 300). */
  safetyMarginSeconds?: number;
  /** Provider-specific flags; the core adds --log-format, --timeout, --help, --version and the logging flags. */
  flags?: F;
  /**
   * The logging flags the binary takes, as the upstream it replaces registers them (log-flags.ts):
   * `klog` (klog.InitFlags), `component-base` (component-base logs.AddFlags), `cobra` (`-v` is
   * --version), or `credkit` (default: --v, --logtostderr, --alsologtostderr).
   */
  logFlags?: LogFlagFamily;
  /** Whether positional arguments are allowed (and what they are, for --help). */
  positionals?: string;
  /** Extra lines for --help (env vars, annotations). */
  help?: string;
  /** The one thing an adapter must write. Return null when the image is not this provider's. */
  getCredentials(ctx: Context<F>): Promise<Credential | null>;
}

export interface Provider<F extends FlagSpecs = FlagSpecs> extends ProviderDefinition<F> {
  readonly kind: 'credkit.provider';
}

/** Declares a provider; checks the declaration once, so mistakes surface at build time. */
export function defineProvider<F extends FlagSpecs = FlagSpecs>(definition: ProviderDefinition<F>): Provider<F> {
  if (!/^[^/\s]+$/.test(definition.name) || definition.name === '.' || definition.name === '..') {
    throw new Error(`provider name ${JSON.stringify(definition.name)} is not a valid kubelet provider name`);
  }
  if (Array.isArray(definition.matchImages) && definition.matchImages.length === 0)
    throw new Error('a provider needs at least one matchImages entry');
  const keys = definition.annotations;
  if (typeof keys !== 'function') {
    const both = (keys?.required ?? []).filter((key) => keys?.optional?.includes(key));
    if (both.length > 0) throw new Error(`annotation keys cannot be both required and optional: ${both.join(', ')}`);
  }
  checkFlags(definition);
  return { ...definition, kind: 'credkit.provider' };
}

/** The provider's own flags may not shadow the core's or its logging family's (names or shorthands). */
function checkFlags<F extends FlagSpecs>(definition: ProviderDefinition<F>): void {
  if (definition.logFlags !== undefined && !LOG_FLAG_FAMILIES.includes(definition.logFlags)) {
    throw new Error(
      `logFlags must be one of ${LOG_FLAG_FAMILIES.join(', ')}, got ${JSON.stringify(definition.logFlags)}`,
    );
  }
  const core = Object.entries(flagSpecsOf({ ...(definition.logFlags ? { logFlags: definition.logFlags } : {}) }));
  const shorts = new Set(core.map(([, spec]) => spec.short).filter(Boolean));
  for (const [name, spec] of Object.entries(definition.flags ?? {})) {
    if (core.some(([taken]) => taken === name)) throw new Error(`flag --${name} belongs to the core`);
    if (spec.short && shorts.has(spec.short)) throw new Error(`flag -${spec.short} belongs to the core`);
  }
}

export function isProvider(value: unknown): value is Provider {
  return typeof value === 'object' && value !== null && (value as Provider).kind === 'credkit.provider';
}

/** The kubelet matchImages this provider answers for, given its flags and env. */
export function matchImagesOf<F extends FlagSpecs>(
  provider: ProviderDefinition<F>,
  ctx: Pick<Context<F>, 'flags' | 'env'>,
): string[] {
  return typeof provider.matchImages === 'function' ? provider.matchImages(ctx) : provider.matchImages;
}

/** The kubelet tokenAttributes this provider needs, given its flags and env; undefined if none. */
export function tokenAttributesOf<F extends FlagSpecs>(
  provider: ProviderDefinition<F>,
  ctx: Pick<Context<F>, 'flags' | 'env'>,
): TokenAttributes | undefined {
  const audience = typeof provider.audience === 'function' ? provider.audience(ctx) : provider.audience;
  if (!audience) return undefined;
  const keys = annotationKeysOf(provider, ctx);
  return {
    audience,
    cacheType: provider.cacheType ?? 'ServiceAccount',
    requireServiceAccount: provider.requireServiceAccount ?? false,
    requiredAnnotations: keys.required ?? [],
    optionalAnnotations: keys.optional ?? [],
  };
}

export interface AnnotationKeys {
  required?: string[];
  optional?: string[];
}

/** The annotation keys this provider reads, given its flags and env. */
export function annotationKeysOf<F extends FlagSpecs>(
  provider: ProviderDefinition<F>,
  ctx: Pick<Context<F>, 'flags' | 'env'>,
): AnnotationKeys {
  return (typeof provider.annotations === 'function' ? provider.annotations(ctx) : provider.annotations) ?? {};
}

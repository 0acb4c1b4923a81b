/**
 * credkit-gar: the Google Artifact Registry / Container Registry provider, a drop-in for upstream
 * auth-provider-gcp (research/gcp-gar.md). The core does the protocol, the token pre-flight and the
 * cache hints; this file only wires the command line to its flow: the gcr flow (one of two Google
 * identities, for Google's hosts) or a dockercfg flow (the instance's own registry credentials).
 */
import { type CacheKeyType, type Context, type Credential, defineProvider } from '../../core/index.ts';
import { CACHE_DURATION_ENV, CACHE_TYPE_ENV, type CacheSettings, readCacheSettings } from './cache.ts';
import { type AuthFlow, GAR_FLAGS, type IdentityConfig, readConfig, tokenAudienceOf } from './config.ts';
import { selectEntries } from './dockercfg-match.ts';
import type { AccessToken } from './exchange.ts';
import {
  ENABLE_WI_IMAGE_PULL,
  exchangesToken,
  GCP_SERVICE_ACCOUNT,
  type IdentityPlan,
  planIdentity,
} from './identity.ts';
import { isGoogleRegistry, MATCH_IMAGES, REGISTRY_USERNAME } from './registry.ts';

export const VERSION = '0.1.0';

const HELP = `
A drop-in for auth-provider-gcp: upstream's arguments work unchanged (get-credentials, --authFlow,
--identity-provider, --project-id, --v=3).

flows:
  gcr (default)  Google hosts, with a Google access token (username _token) from one identity:
    node       the metadata server's default service account token (GCE_METADATA_HOST honoured)
    GKE        --identity-provider URL --project-id P: service accounts annotated
               ${ENABLE_WI_IMAGE_PULL}: "true" pull as themselves (token audience P.svc.id.goog)
    federation --sts-audience //iam.googleapis.com/... or --credential-config FILE: every pod with a
               token pulls as itself (token audience https://iam.googleapis.com/...)
    ${GCP_SERVICE_ACCOUNT}: NAME@PROJECT.iam.gserviceaccount.com on a service account adds
               impersonation of that Google service account (IAM Credentials generateAccessToken).
  dockercfg      the registries and logins in the instance attribute google-dockercfg
  dockercfg-url  the same, from the http(s) URL in the instance attribute google-dockercfg-url

${CACHE_DURATION_ENV} (a Go duration) caps cacheDuration (gcr: the token's lifetime; dockercfg:
0s unless set); ${CACHE_TYPE_ENV} (image, registry, global) sets cacheKeyType.
`;

export type GarContext = Context<typeof GAR_FLAGS>;

export const provider = defineProvider({
  name: 'credkit-gar',
  version: VERSION,
  description:
    "Google Artifact Registry and Container Registry credentials from the node or the pod identity, or the instance's dockercfg",
  matchImages: MATCH_IMAGES,
  // The command line and the cache env vars are checked here, first thing on every exec, so a broken
  // config fails even for images that are not Google's instead of waiting for the first one that is.
  // The dockercfg flows serve whatever registries the instance's dockercfg names (matchImages
  // decides which images get here); the gcr flow only Google's, whose token must go nowhere else.
  servesImage: (image, { flags, positionals, env }) => {
    const config = readConfig(flags, positionals);
    readCacheSettings(env);
    return config.mode === 'dockercfg' || isGoogleRegistry(image);
  },
  audience: ({ flags }) => tokenAudienceOf(readConfig(flags)),
  annotations: { optional: [ENABLE_WI_IMAGE_PULL, GCP_SERVICE_ACCOUNT] },
  exchangesToken: ({ request, flags }) => exchangesToken(readConfig(flags), request.serviceAccountAnnotations ?? {}),
  // The exchanged access token is bound to the service account, not to one pod's token.
  cacheType: 'ServiceAccount',
  defaultCacheDuration: '0s',
  // The gcr flow's default; a dockercfg answer says Image, as upstream (provider.go).
  cacheKeyType: 'Registry',
  flags: GAR_FLAGS,
  // auth-provider-gcp adds every klog flag (klog.InitFlags); GKE passes `get-credentials --v=3`.
  logFlags: 'klog',
  positionals: 'get-credentials',
  help: HELP,
  getCredentials,
});

async function getCredentials(ctx: GarContext): Promise<Credential | null> {
  const config = readConfig(ctx.flags, ctx.positionals);
  const cache = readCacheSettings(ctx.env);
  if (config.mode === 'gke' || config.mode === 'dockercfg') for (const note of config.notes) ctx.log.warn(note);
  if (config.mode === 'dockercfg') return dockercfgCredential(ctx, config.flow, cache);
  const token = await accessTokenFor(planFor(config, ctx), ctx);
  ctx.log.redactor.add(token.accessToken);
  return {
    username: REGISTRY_USERNAME,
    password: token.accessToken,
    ...(token.expiresAt ? { expiresAt: token.expiresAt } : {}),
    ...gcrCacheHints(cache),
  };
}

function planFor(config: IdentityConfig, ctx: GarContext): IdentityPlan {
  return planIdentity(config, {
    ...(ctx.serviceAccount ? { serviceAccount: ctx.serviceAccount } : {}),
    ...(ctx.request.serviceAccountAnnotations ? { requestAnnotations: ctx.request.serviceAccountAnnotations } : {}),
  });
}

/**
 * Upstream's env vars on the gcr flow: the duration can only shorten the token-lifetime cache (upstream
 * would let it outlive the token); `global` keys the token to Google's four hosts, as the kubelet then
 * reuses it for every image, while image and registry key it to the image's registry.
 */
function gcrCacheHints(cache: CacheSettings): Partial<Credential> {
  return {
    ...(cache.durationSeconds !== undefined ? { cacheSecondsAtMost: cache.durationSeconds } : {}),
    ...(cache.keyType ? { cacheKeyType: cache.keyType } : {}),
    ...(cache.keyType === 'Global' ? { keys: MATCH_IMAGES } : {}),
  };
}

/**
 * A dockercfg flow: the entries the image needs, cached as upstream by default (Image, 0s: the
 * administrator may change the attribute at any time) or as the env vars say.
 */
async function dockercfgCredential(
  ctx: GarContext,
  flow: Exclude<AuthFlow, 'gcr'>,
  cache: CacheSettings,
): Promise<Credential | null> {
  const { readNodeDockerConfig } = await import('./metadata-dockercfg.ts');
  const entries = await readNodeDockerConfig(ctx, flow);
  for (const entry of entries) ctx.log.redactor.add(entry.password);
  const wanted: CacheKeyType = cache.keyType ?? 'Image';
  const selection = selectEntries(entries, ctx.image, wanted);
  if (!selection) {
    ctx.log.v(2).info('no entry of the node dockercfg matches the image', { flow, entries: entries.length });
    return null;
  }
  if (selection.keyType !== wanted) {
    ctx.log.v(1).info(`cacheKeyType Image, not ${wanted}: no dockercfg entry covers all of ${ctx.image.registry}`);
  }
  const { first, others } = selection;
  ctx.log.v(2).info('credential from the node dockercfg', { flow, key: first.key, others: others.length });
  return {
    username: first.username,
    password: first.password,
    keys: [first.key],
    others: others.map((entry) => ({ username: entry.username, password: entry.password, keys: [entry.key] })),
    cacheKeyType: selection.keyType,
    unknownExpirySeconds: cache.durationSeconds ?? 0,
  };
}

/** Each path loads only its own module: a node-mode exec never parses the exchange code, and vice versa. */
async function accessTokenFor(plan: IdentityPlan, ctx: GarContext): Promise<AccessToken> {
  if (plan.kind === 'node') {
    if (plan.warn) ctx.log.warn(`using the node identity: ${plan.reason}`);
    else ctx.log.v(2).info('using the node identity', { reason: plan.reason });
    const { fetchNodeToken } = await import('./node.ts');
    return fetchNodeToken(ctx);
  }
  const token = ctx.serviceAccount?.token as string;
  ctx.log.v(2).info('using the pod identity', { subject: plan.subject, impersonate: plan.impersonate });
  const { exchangeServiceAccountToken } = await import('./exchange.ts');
  return exchangeServiceAccountToken(ctx, {
    federation: plan.federation,
    subjectToken: token,
    subject: plan.subject,
    ...(plan.impersonate ? { impersonate: plan.impersonate } : {}),
    now: ctx.now,
  });
}

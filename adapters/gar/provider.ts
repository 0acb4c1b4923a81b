/**
 * credkit-gar: the Google Artifact Registry / Container Registry provider, a drop-in for upstream
 * auth-provider-gcp (research/gcp-gar.md). The core does the protocol, the token pre-flight and the
 * cache hints; this file only wires the command line to one of two identities.
 */
import { type Context, type Credential, defineProvider, type Env, type Logger } from '../../core/index.ts';
import { GAR_FLAGS, readConfig, tokenAudienceOf } from './config.ts';
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
A drop-in for auth-provider-gcp: upstream's arguments work unchanged (get-credentials, --authFlow=gcr,
--identity-provider, --project-id, --v=3).

identities:
  node       the metadata server's default service account token (GCE_METADATA_HOST honoured)
  GKE        --identity-provider URL --project-id P: service accounts annotated
             ${ENABLE_WI_IMAGE_PULL}: "true" pull as themselves (token audience P.svc.id.goog)
  federation --sts-audience //iam.googleapis.com/... or --credential-config FILE: every pod with a
             token pulls as itself (token audience https://iam.googleapis.com/...)
  ${GCP_SERVICE_ACCOUNT}: NAME@PROJECT.iam.gserviceaccount.com on a service account adds
             impersonation of that Google service account (IAM Credentials generateAccessToken).

cacheDuration follows the access token's lifetime; KUBE_SIDECAR_CACHE_DURATION/TYPE are ignored.
`;

export type GarContext = Context<typeof GAR_FLAGS>;

export const provider = defineProvider({
  name: 'credkit-gar',
  version: VERSION,
  description: 'Google Artifact Registry and Container Registry credentials from the node or the pod identity',
  matchImages: MATCH_IMAGES,
  // The command line is checked here, first thing on every exec, so a broken config fails even for
  // images that are not Google's instead of waiting for the first one that is.
  servesImage: (image, { flags, positionals }) => {
    readConfig(flags, positionals);
    return isGoogleRegistry(image);
  },
  audience: ({ flags }) => tokenAudienceOf(readConfig(flags)),
  annotations: { optional: [ENABLE_WI_IMAGE_PULL, GCP_SERVICE_ACCOUNT] },
  exchangesToken: ({ request, flags }) => exchangesToken(readConfig(flags), request.serviceAccountAnnotations ?? {}),
  // The exchanged access token is bound to the service account, not to one pod's token.
  cacheType: 'ServiceAccount',
  defaultCacheDuration: '0s',
  cacheKeyType: 'Registry',
  flags: GAR_FLAGS,
  // auth-provider-gcp adds every klog flag (klog.InitFlags); GKE passes `get-credentials --v=3`.
  logFlags: 'klog',
  positionals: 'get-credentials',
  help: HELP,
  getCredentials,
});

async function getCredentials(ctx: GarContext): Promise<Credential> {
  warnIgnoredEnv(ctx.env, ctx.log);
  const config = readConfig(ctx.flags, ctx.positionals);
  if (config.mode === 'gke') for (const note of config.notes) ctx.log.warn(note);
  const plan = planIdentity(config, {
    ...(ctx.serviceAccount ? { serviceAccount: ctx.serviceAccount } : {}),
    ...(ctx.request.serviceAccountAnnotations ? { requestAnnotations: ctx.request.serviceAccountAnnotations } : {}),
  });
  const token = await accessTokenFor(plan, ctx);
  ctx.log.redactor.add(token.accessToken);
  return {
    username: REGISTRY_USERNAME,
    password: token.accessToken,
    ...(token.expiresAt ? { expiresAt: token.expiresAt } : {}),
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

/** Upstream's cache knobs (research/gcp-gar.md §1.3) would only ever shorten or break caching here. */
function warnIgnoredEnv(env: Env, log: Logger): void {
  for (const name of ['KUBE_SIDECAR_CACHE_DURATION', 'KUBE_SIDECAR_CACHE_TYPE']) {
    if (env[name]) log.warn(`${name} is ignored: credkit-gar caches for the access token's lifetime, per registry`);
  }
}

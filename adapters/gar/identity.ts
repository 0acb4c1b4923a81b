/**
 * Which Google identity answers a request: the node's (metadata server) or the pod's (its service
 * account token exchanged at STS, then optionally a Google service account impersonated). This is
 * upstream's workload identity decision table (research/gcp-gar.md §2.1) with two changes: an
 * opted-in service account without a token is an error, not a silent anonymous pull, and
 * `iam.gke.io/gcp-service-account` adds the impersonation leg GKE's other components use (§5.3).
 */
import { CredkitError } from '../../core/index.ts';
import type { GarConfig, IdentityConfig } from './config.ts';
import { checkServiceAccountEmail, type Federation } from './federation.ts';

/** GKE's per-service-account opt-in to pulling images as the pod (upstream EnableWIImagePullAnnotation). */
export const ENABLE_WI_IMAGE_PULL = 'iam.gke.io/enable-wi-image-pull';
/** The Google service account a Kubernetes service account acts as (GKE workload identity). */
export const GCP_SERVICE_ACCOUNT = 'iam.gke.io/gcp-service-account';

export type IdentityPlan =
  /** `warn`: the service account asked for something this node's config does not do. */
  | { kind: 'node'; reason: string; warn?: boolean }
  | { kind: 'workload'; federation: Federation; subject: string; impersonate?: string };

export interface PlanInput {
  /** Present when the kubelet sent a token that passed the core's audience/expiry check. */
  serviceAccount?: { identity: { subject: string }; annotations: Record<string, string> };
  /** The request's annotations, which can arrive without a token. */
  requestAnnotations?: Record<string, string>;
}

/**
 * Whether the pod's token is exchanged (so checked before any call): self-managed federation
 * exchanges every token; GKE only those of service accounts that opt in (upstream provider.go
 * "Fallback to Node SA" otherwise); node mode and the dockercfg flows none.
 */
export function exchangesToken(config: GarConfig, annotations: Record<string, string>): boolean {
  if (config.mode === 'node' || config.mode === 'dockercfg') return false;
  return config.mode === 'federation' || annotations[ENABLE_WI_IMAGE_PULL] === 'true';
}

export function planIdentity(config: IdentityConfig, input: PlanInput): IdentityPlan {
  const annotations = input.serviceAccount?.annotations ?? input.requestAnnotations ?? {};
  if (config.mode === 'node') {
    if (annotations[ENABLE_WI_IMAGE_PULL] !== 'true') return { kind: 'node', reason: 'node mode' };
    return { kind: 'node', reason: `${ENABLE_WI_IMAGE_PULL} is ignored without --identity-provider`, warn: true };
  }
  if (config.mode === 'gke' && annotations[ENABLE_WI_IMAGE_PULL] !== 'true') {
    return { kind: 'node', reason: `service account does not set ${ENABLE_WI_IMAGE_PULL}: "true"` };
  }
  const serviceAccount = input.serviceAccount;
  if (!serviceAccount) {
    if (config.mode === 'gke') {
      // Upstream fails fast here too (PR #1202 review): never fall back to the node's identity
      // for a service account that asked to pull as itself.
      throw new CredkitError(
        'token',
        `the service account sets ${ENABLE_WI_IMAGE_PULL} but the kubelet sent no token: set tokenAttributes ` +
          `(serviceAccountTokenAudience ${config.federation.tokenAudience}) for this provider in the kubelet config`,
      );
    }
    return { kind: 'node', reason: 'no service account token (pod without a service account)' };
  }
  const annotated = serviceAccount.annotations[GCP_SERVICE_ACCOUNT];
  const impersonate = annotated
    ? checkServiceAccountEmail(
        annotated,
        `annotation ${GCP_SERVICE_ACCOUNT} of ${serviceAccount.identity.subject}`,
        'request',
      )
    : config.federation.impersonate;
  return {
    kind: 'workload',
    federation: config.federation,
    subject: serviceAccount.identity.subject,
    ...(impersonate ? { impersonate } : {}),
  };
}

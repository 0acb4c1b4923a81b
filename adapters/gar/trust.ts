/**
 * The Google half of a service account setup, printed by `credkit config gar` next to the kubelet
 * half: what to create so Google accepts a pod's token for the audience the kubelet will mint.
 * Placeholders in <angle brackets> are the operator's to fill.
 */
import type { TokenAttributes } from '../../core/index.ts';
import { ENABLE_WI_IMAGE_PULL, GCP_SERVICE_ACCOUNT } from './identity.ts';

export function trustNotes({ audience }: Pick<TokenAttributes, 'audience'>): string[] {
  return [
    `1. GKE: the token audience is the workload pool (${audience}); annotate the service account`,
    `   ${ENABLE_WI_IMAGE_PULL}: "true" and grant roles/artifactregistry.reader to`,
    '   principal://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<project>.svc.id.goog/subject/ns/<namespace>/sa/<name>.',
    '2. Self-managed: create a workload identity pool provider for the cluster issuer (google.subject=assertion.sub)',
    `   whose allowed audience is ${audience}, and grant the reader role to`,
    '   principal://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/subject/system:serviceaccount:<namespace>:<name>,',
    `   or annotate ${GCP_SERVICE_ACCOUNT}: <name>@<project>.iam.gserviceaccount.com and grant that`,
    '   principal roles/iam.workloadIdentityUser on the Google service account.',
  ];
}

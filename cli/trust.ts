/**
 * The cloud-side half of a service account setup, printed by `credkit config` next to the kubelet
 * half: what to create so the cloud accepts a pod's token for the audience the kubelet will mint.
 * Placeholders in <angle brackets> are the operator's to fill.
 */
import type { TokenAttributes } from '../core/index.ts';

type TrustNote = (attributes: TokenAttributes) => string[];

const NOTES: Record<string, TrustNote> = {
  ecr: ({ audience }) => [
    `1. Register the cluster's service account issuer as an IAM OIDC identity provider with audience ${audience}.`,
    '2. Create a role whose trust policy allows sts:AssumeRoleWithWebIdentity from that provider, with conditions',
    `   "<issuer-host>:aud": "${audience}" and "<issuer-host>:sub": "system:serviceaccount:<namespace>:<name>".`,
    '3. Give the role ecr:GetAuthorizationToken and the pull actions (e.g. AmazonEC2ContainerRegistryReadOnly).',
    '4. Annotate the service account: eks.amazonaws.com/ecr-role-arn: arn:aws:iam::<account>:role/<role>.',
  ],
  acr: ({ audience }) => [
    '1. Create a user-assigned managed identity (or app registration) and grant it AcrPull on the registry.',
    `2. Add a federated identity credential: issuer <cluster issuer URL>, subject system:serviceaccount:<namespace>:<name>, audience ${audience}.`,
    '3. Annotate the service account: kubernetes.azure.com/acr-client-id: <client id>,',
    '   kubernetes.azure.com/acr-tenant-id: <tenant id>.',
  ],
  gar: ({ audience }) => [
    `1. GKE: the token audience is the workload pool (${audience}); annotate the service account`,
    '   iam.gke.io/enable-wi-image-pull: "true" and grant roles/artifactregistry.reader to',
    '   principal://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<project>.svc.id.goog/subject/ns/<namespace>/sa/<name>.',
    '2. Self-managed: create a workload identity pool provider for the cluster issuer (google.subject=assertion.sub)',
    `   whose allowed audience is ${audience}, and grant the reader role to`,
    '   principal://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/subject/system:serviceaccount:<namespace>:<name>,',
    '   or annotate iam.gke.io/gcp-service-account: <name>@<project>.iam.gserviceaccount.com and grant that',
    '   principal roles/iam.workloadIdentityUser on the Google service account.',
  ],
};

export function trustNotes(cloudOrProvider: string, attributes: TokenAttributes): string[] {
  const note = NOTES[cloudOrProvider];
  if (note) return note(attributes);
  return [
    `Configure the registry's token service to trust the cluster's service account issuer for audience ${attributes.audience},`,
    'and map subjects system:serviceaccount:<namespace>:<name> to registry permissions.',
  ];
}

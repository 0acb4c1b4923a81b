/**
 * The AWS half of a service account setup, printed by `credkit config ecr` next to the kubelet
 * half: what to create so STS accepts a pod's token for the audience the kubelet will mint.
 * Placeholders in <angle brackets> are the operator's to fill.
 */
import type { TokenAttributes } from '../../core/index.ts';
import { ROLE_ANNOTATION } from './config.ts';

export function trustNotes({ audience }: Pick<TokenAttributes, 'audience'>): string[] {
  return [
    `1. Register the cluster's service account issuer as an IAM OIDC identity provider with audience ${audience}.`,
    '2. Create a role whose trust policy allows sts:AssumeRoleWithWebIdentity from that provider, with conditions',
    `   "<issuer-host>:aud": "${audience}" and "<issuer-host>:sub": "system:serviceaccount:<namespace>:<name>".`,
    '3. Give the role ecr:GetAuthorizationToken and the pull actions (e.g. AmazonEC2ContainerRegistryReadOnly).',
    `4. Annotate the service account: ${ROLE_ANNOTATION}: arn:aws:iam::<account>:role/<role>.`,
  ];
}

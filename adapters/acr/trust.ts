/**
 * The Azure half of a service account setup, printed by `credkit config acr` next to the kubelet
 * half: what to create so Entra ID accepts a pod's token for the audience the kubelet will mint.
 * Placeholders in <angle brackets> are the operator's to fill.
 */
import type { TokenAttributes } from '../../core/index.ts';
import { CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION } from './identity.ts';

export function trustNotes({ audience }: Pick<TokenAttributes, 'audience'>): string[] {
  return [
    '1. Create a user-assigned managed identity (or app registration) and grant it AcrPull on the registry.',
    `2. Add a federated identity credential: issuer <cluster issuer URL>, subject system:serviceaccount:<namespace>:<name>, audience ${audience}.`,
    `3. Annotate the service account: ${CLIENT_ID_ANNOTATION}: <client id>,`,
    `   ${TENANT_ID_ANNOTATION}: <tenant id>.`,
  ];
}

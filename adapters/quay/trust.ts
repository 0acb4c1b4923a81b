/**
 * The Quay half of a service account setup, printed by `credkit config quay` next to the kubelet
 * half: what to create so Quay trades the pod's token for a robot token (docs/quay.md).
 */
import type { TokenAttributes } from '../../core/index.ts';
import { ROBOT_ANNOTATION } from './identity.ts';

export function trustNotes({ audience }: Pick<TokenAttributes, 'audience'>): string[] {
  return [
    "1. Quay must read the cluster's service account issuer: <issuer>/.well-known/openid-configuration and its JWKS",
    '   (public for quay.io; reachable from Quay for a self-hosted one).',
    '2. Create a robot account <org>+<name> with read access to the repositories, and set its federation',
    '   (Robot accounts > Set robot federation, or POST /api/v1/organization/<org>/robots/<name>/federation):',
    '   [{"issuer": "<cluster issuer URL>", "subject": "system:serviceaccount:<namespace>:<name>"}].',
    `3. Annotate the service account: ${ROBOT_ANNOTATION}: <org>+<name>.`,
    `Quay does not check the token's aud; the kubelet mints it for ${audience} so it serves no other relying party.`,
  ];
}

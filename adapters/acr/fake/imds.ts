/**
 * A fake Azure Instance Metadata Service token endpoint (research/azure-acr.md §5.1): the
 * `Metadata: true` header is mandatory, a user-assigned identity is picked by `client_id`,
 * `msi_res_id` or `object_id`, and with none given the system-assigned identity answers (or the only
 * user-assigned one, as on a VM without a system identity). Numbers come back as strings, as IMDS does.
 */
import type { FakeRequest, FakeResponse } from '../../../core/testing/index.ts';
import { entraAccessToken } from './entra.ts';
import type { Signer } from './tokens.ts';

export interface ManagedIdentitySpec {
  clientId: string;
  tenantId: string;
  /** ARM id `/subscriptions/.../userAssignedIdentities/<name>`; absent for the system identity. */
  resourceId?: string;
  objectId?: string;
  systemAssigned?: boolean;
}

export function imdsLabel(req: FakeRequest): string {
  return req.url.pathname === '/metadata/identity/oauth2/token' ? 'token' : `${req.method} ${req.url.pathname}`;
}

export function imdsHandler(
  identities: ManagedIdentitySpec[],
  signer: Signer,
): (req: FakeRequest) => Promise<FakeResponse> {
  return async (req) => {
    if (req.endpoint !== 'token') return { status: 404, body: { error: 'not_found' } };
    if (req.headers.metadata !== 'true') {
      return {
        status: 400,
        body: { error: 'invalid_request', error_description: 'Required metadata header not specified' },
      };
    }
    const query = req.url.searchParams;
    const resource = query.get('resource');
    if (!query.get('api-version') || !resource) {
      return {
        status: 400,
        body: { error: 'invalid_request', error_description: 'Required query variable not specified' },
      };
    }
    const found = pick(identities, query);
    if (!found) return { status: 400, body: { error: 'invalid_request', error_description: 'Identity not found' } };
    const accessToken = await entraAccessToken(signer, found.tenantId, found.clientId);
    const now = Math.floor(Date.now() / 1000);
    return {
      body: {
        access_token: accessToken,
        client_id: found.clientId,
        expires_in: '86399',
        expires_on: String(now + 86399),
        ext_expires_in: '86399',
        not_before: String(now),
        resource,
        token_type: 'Bearer',
      },
    };
  };
}

function pick(identities: ManagedIdentitySpec[], query: URLSearchParams): ManagedIdentitySpec | undefined {
  const clientId = query.get('client_id');
  const resourceId = query.get('msi_res_id')?.toLowerCase();
  const objectId = query.get('object_id');
  if (clientId) return identities.find((i) => !i.systemAssigned && i.clientId === clientId);
  if (resourceId) return identities.find((i) => i.resourceId?.toLowerCase() === resourceId);
  if (objectId) return identities.find((i) => i.objectId === objectId);
  const system = identities.find((i) => i.systemAssigned);
  if (system) return system;
  return identities.length === 1 ? identities[0] : undefined;
}

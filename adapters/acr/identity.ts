/**
 * Which identity asks ACR for this image (upstream `NewAcrProvider`, research/azure-acr.md §1.5):
 *  1. a mirrored image always uses the node's identity (cloud-provider-azure#9841: on
 *     network-isolated clusters the bootstrap ACR trusts only the node);
 *  2. with identity bindings (`--ib-sni-name`), the pod's token goes to the API server's
 *     identity-binding endpoint, for the managed identity its annotation or --ib-default-client-id names;
 *  3. a pod token with both acr annotations uses that pod's federated Entra identity;
 *  4. otherwise the node: its managed identity when useManagedIdentityExtension is true, else the
 *     azure.json service principal's static secret.
 */
import { type Context, CredkitError, quote } from '../../core/index.ts';
import type { AzureConfig } from './azure-json.ts';
import type { FederatedIdentity } from './exchange.ts';
import { IDENTITY_BINDING_AUDIENCE, type IdentityBindings } from './identity-binding.ts';
import type { IdentityBindingIdentity } from './identity-binding-token.ts';
import type { AcrTarget } from './registry.ts';

export const CLIENT_ID_ANNOTATION = 'kubernetes.azure.com/acr-client-id';
export const TENANT_ID_ANNOTATION = 'kubernetes.azure.com/acr-tenant-id';

export type AcrIdentity =
  | ({ kind: 'federated' } & FederatedIdentity)
  | ({ kind: 'identityBinding'; tenantId?: string } & IdentityBindingIdentity)
  | { kind: 'managed'; userAssignedIdentityID?: string; tenantId?: string }
  | { kind: 'servicePrincipal'; clientId: string; clientSecret: string; tenantId?: string };

export function chooseIdentity(
  config: AzureConfig,
  target: AcrTarget,
  serviceAccount: Context['serviceAccount'],
  bindings?: IdentityBindings,
): AcrIdentity {
  if (bindings && !target.mirrorSource) return identityBinding(config, serviceAccount, bindings);
  if (serviceAccount && !target.mirrorSource) {
    const federated = federatedIdentity(serviceAccount);
    if (federated) return federated;
  }
  return nodeIdentity(config);
}

/**
 * Whether the pod's token is exchanged for this image (so checked before any call): with identity
 * bindings always, as upstream; otherwise a service account that names its Entra identity (either
 * annotation: one alone is refused as a typo). Never for a mirrored image, which always pulls as
 * the node ("MCR image mirrored to ACR should use managed identity even with SA token", upstream
 * plugin_test.go). Otherwise the token is ignored.
 */
export function exchangesToken(
  annotations: Record<string, string>,
  target: AcrTarget | null,
  bindings?: IdentityBindings,
): boolean {
  if (!target || target.mirrorSource) return false;
  if (bindings) return true;
  return CLIENT_ID_ANNOTATION in annotations || TENANT_ID_ANNOTATION in annotations;
}

/**
 * Identity bindings, as upstream GetIdentityBindingsTokenCredential: the token is required; the
 * client id is the annotation when the key is there (even empty, which is then refused), else
 * --ib-default-client-id; the tenant likewise, else azure.json's. Upstream keeps the tenant unused
 * and sends azure.json's to ACR; we send the identity's own, which is the tenant of its token.
 */
function identityBinding(
  config: AzureConfig,
  serviceAccount: Context['serviceAccount'],
  bindings: IdentityBindings,
): AcrIdentity {
  if (!serviceAccount) {
    throw new CredkitError(
      'token',
      `service account token not found in request, which identity bindings (--ib-sni-name) need: set tokenAttributes.serviceAccountTokenAudience to ${IDENTITY_BINDING_AUDIENCE} in the kubelet config`,
    );
  }
  const { annotations, identity } = serviceAccount;
  const subject = identity.subject;
  const clientId = Object.hasOwn(annotations, CLIENT_ID_ANNOTATION)
    ? annotations[CLIENT_ID_ANNOTATION]?.trim()
    : bindings.defaultClientId;
  if (!clientId) {
    throw new CredkitError(
      'usage',
      `client ID not found in service account annotations (checked ${CLIENT_ID_ANNOTATION} of ${subject}) and no default client ID configured: annotate the service account with the managed identity's client id, or set --ib-default-client-id`,
    );
  }
  const tenantId = Object.hasOwn(annotations, TENANT_ID_ANNOTATION)
    ? annotations[TENANT_ID_ANNOTATION]?.trim()
    : (bindings.defaultTenantId ?? config.tenantId);
  const fromAnnotation = (key: string) => Object.hasOwn(annotations, key);
  checkId(clientId, fromAnnotation(CLIENT_ID_ANNOTATION) ? CLIENT_ID_ANNOTATION : '--ib-default-client-id', subject);
  if (tenantId) {
    const source = fromAnnotation(TENANT_ID_ANNOTATION)
      ? TENANT_ID_ANNOTATION
      : bindings.defaultTenantId
        ? '--ib-default-tenant-id'
        : `tenantId in ${config.path}`;
    checkId(tenantId, source, subject);
  }
  return {
    kind: 'identityBinding',
    clientId,
    ...(tenantId ? { tenantId } : {}),
    assertion: serviceAccount.token,
    subject,
    bindings,
  };
}

/** checkEntraId for a value that may come from a flag or the config rather than an annotation. */
function checkId(value: string, source: string, subject: string): void {
  if (source.startsWith('kubernetes.azure.com/')) {
    checkEntraId(value, source, subject);
    return;
  }
  if (ENTRA_ID.test(value)) return;
  throw new CredkitError('usage', `${source} is ${quote(value)}, not an Entra ID: use the GUID the Azure portal shows`);
}

/**
 * Both annotations, or neither (the pod did not opt in: the node's identity pulls, as before the
 * kubelet sent tokens). One without the other is a typo worth a clear error; upstream errors on
 * both cases, which breaks every pod the moment tokenAttributes is configured.
 */
function federatedIdentity(serviceAccount: NonNullable<Context['serviceAccount']>): AcrIdentity | undefined {
  const clientId = serviceAccount.annotations[CLIENT_ID_ANNOTATION]?.trim();
  const tenantId = serviceAccount.annotations[TENANT_ID_ANNOTATION]?.trim();
  const subject = serviceAccount.identity.subject;
  if (clientId === undefined && tenantId === undefined) return undefined;
  if (!clientId || !tenantId) {
    const missing = clientId ? TENANT_ID_ANNOTATION : CLIENT_ID_ANNOTATION;
    throw new CredkitError(
      'usage',
      `service account ${subject} has ${missing} missing or empty: set both ${CLIENT_ID_ANNOTATION} and ${TENANT_ID_ANNOTATION}, or neither to pull with the node's identity`,
    );
  }
  checkEntraId(clientId, CLIENT_ID_ANNOTATION, subject);
  checkEntraId(tenantId, TENANT_ID_ANNOTATION, subject);
  return {
    kind: 'federated',
    clientId,
    tenantId,
    assertion: serviceAccount.token,
    subject,
    ...(serviceAccount.claims.iss ? { issuer: serviceAccount.claims.iss } : {}),
    ...(audienceOf(serviceAccount.claims.aud) ? { audience: audienceOf(serviceAccount.claims.aud) } : {}),
  };
}

// Entra client ids are GUIDs and tenants GUIDs or domain names: letters, digits, dots and dashes.
// The tenant goes into the token URL's path, so nothing else (`/`, `..`, spaces) may reach it.
const ENTRA_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** Refuses an annotation value Entra could never accept, before it goes into a URL or a form. */
function checkEntraId(value: string, annotation: string, subject: string): void {
  if (ENTRA_ID.test(value)) return;
  throw new CredkitError(
    'usage',
    `annotation ${annotation} of service account ${subject} is ${quote(value)}, not an Entra ID: use the GUID the Azure portal shows`,
  );
}

function audienceOf(aud: string | string[] | undefined): string | undefined {
  return Array.isArray(aud) ? aud.join(',') || undefined : aud;
}

export function nodeIdentity(config: AzureConfig): AcrIdentity {
  if (config.useManagedIdentityExtension) {
    return {
      kind: 'managed',
      ...(config.userAssignedIdentityID ? { userAssignedIdentityID: config.userAssignedIdentityID } : {}),
      ...(config.tenantId ? { tenantId: config.tenantId } : {}),
    };
  }
  if (config.aadClientId && config.aadClientSecret) {
    return {
      kind: 'servicePrincipal',
      clientId: config.aadClientId,
      clientSecret: config.aadClientSecret,
      ...(config.tenantId ? { tenantId: config.tenantId } : {}),
    };
  }
  throw new CredkitError(
    'usage',
    `${config.path} sets neither useManagedIdentityExtension: true nor aadClientId and aadClientSecret: the node has no identity to pull with`,
  );
}

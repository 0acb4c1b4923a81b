/**
 * Which identity asks ACR: upstream's TestNewAcrProvider_CredentialSelection (research/azure-acr.md
 * §3.4) as a table. Identity-bindings rows are left out (credkit does not implement --ib-*), and the
 * rows where credkit deliberately differs say so in their name.
 */
import { describe, expect, it } from 'vitest';
import { parseAzureConfig } from '../../../adapters/acr/azure-json.ts';
import { chooseIdentity } from '../../../adapters/acr/identity.ts';
import { acrTargetOf } from '../../../adapters/acr/provider.ts';
import type { Context } from '../../../core/index.ts';

const T = '{"tenantID":"test-tenant-id","aadClientId":"sp-id","aadClientSecret":"sp-secret"}';
const M = '{"useManagedIdentityExtension":true,"userAssignedIdentityID":"test-client-id"}';
const A = {
  'kubernetes.azure.com/acr-client-id': 'test-client-id',
  'kubernetes.azure.com/acr-tenant-id': 'test-tenant-id',
};
const SUBJECT = 'system:serviceaccount:ns:sa';

function serviceAccount(annotations: Record<string, string>): Context['serviceAccount'] {
  return {
    token: 'test-service-account-token',
    claims: { sub: SUBJECT, iss: 'https://issuer.example' },
    identity: { namespace: 'ns', name: 'sa', subject: SUBJECT },
    annotations,
  };
}

const FEDERATED = {
  kind: 'federated',
  clientId: 'test-client-id',
  tenantId: 'test-tenant-id',
  assertion: 'test-service-account-token',
  subject: SUBJECT,
  issuer: 'https://issuer.example',
};
const MANAGED = { kind: 'managed', userAssignedIdentityID: 'test-client-id' };
const STATIC = { kind: 'servicePrincipal', clientId: 'sp-id', clientSecret: 'sp-secret', tenantId: 'test-tenant-id' };

describe('chooseIdentity (upstream TestNewAcrProvider_CredentialSelection)', () => {
  it.each([
    {
      name: 'empty SA token -> managed identity',
      config: M,
      image: 'test.azurecr.io/test:latest',
      sa: undefined,
      expected: MANAGED,
    },
    {
      name: 'SA token -> client assertion',
      config: T,
      image: 'test.azurecr.io/test:latest',
      sa: A,
      expected: FEDERATED,
    },
    {
      name: 'MCR mirrored -> managed identity even with an SA token',
      config: M,
      image: 'mcr.microsoft.com/azure-cli:latest',
      mirror: 'mcr.microsoft.com:test.azurecr.io',
      sa: A,
      expected: MANAGED,
    },
    {
      name: 'direct ACR with a mirror configured -> SA token',
      config: T,
      image: 'test.azurecr.io/myapp:latest',
      mirror: 'mcr.microsoft.com:mirror.azurecr.io',
      sa: A,
      expected: FEDERATED,
    },
    {
      name: 'SA token with useManagedIdentityExtension true -> still the client assertion',
      config: M,
      image: 'test.azurecr.io/test:latest',
      sa: A,
      expected: FEDERATED,
    },
    {
      name: 'no SA token, service principal config -> the static secret',
      config: T,
      image: 'test.azurecr.io/test:latest',
      sa: undefined,
      expected: STATIC,
    },
    {
      name: 'differs: SA token without either annotation -> node identity (upstream: error)',
      config: M,
      image: 'test.azurecr.io/test:latest',
      sa: {},
      expected: MANAGED,
    },
    {
      name: 'differs: SA token with service principal config -> client assertion (upstream ignores the token)',
      config: T,
      image: 'test.azurecr.io/test:latest',
      sa: A,
      expected: FEDERATED,
    },
  ])('$name', ({ config, image, mirror, sa, expected }) => {
    const target = acrTargetOf(image, mirror);
    expect(target).not.toBeNull();
    expect(chooseIdentity(parseAzureConfig(config), target!, sa ? serviceAccount(sa) : undefined)).toEqual(expected);
  });

  it.each([
    {
      name: 'missing client ID annotation',
      config: T,
      sa: { 'kubernetes.azure.com/acr-tenant-id': 'test-tenant-id' },
      error: /kubernetes.azure.com\/acr-client-id missing or empty/,
    },
    {
      name: 'missing tenant ID annotation',
      config: T,
      sa: { 'kubernetes.azure.com/acr-client-id': 'test-client-id' },
      error: /kubernetes.azure.com\/acr-tenant-id missing or empty/,
    },
    {
      name: 'empty client ID annotation',
      config: T,
      sa: { ...A, 'kubernetes.azure.com/acr-client-id': '' },
      error: /acr-client-id missing or empty/,
    },
    {
      name: 'empty tenant ID annotation',
      config: T,
      sa: { ...A, 'kubernetes.azure.com/acr-tenant-id': ' ' },
      error: /acr-tenant-id missing or empty/,
    },
    {
      name: 'a client ID Entra could never accept (issue 11: refused before any call, quoted and cut)',
      config: T,
      sa: { ...A, 'kubernetes.azure.com/acr-client-id': `x\u001b[2J${'a'.repeat(1000)}` },
      error: /acr-client-id of service account .* is "x\\x1b\[2Ja+…" \(1005 bytes\), not an Entra ID/,
    },
    {
      name: 'a tenant that would change the token URL path',
      config: T,
      sa: { ...A, 'kubernetes.azure.com/acr-tenant-id': '../other-tenant' },
      error: /acr-tenant-id of service account .* is "\.\.\/other-tenant", not an Entra ID/,
    },
    {
      name: 'no identity at all in azure.json',
      config: '{}',
      sa: undefined,
      error: /sets neither useManagedIdentityExtension: true nor aadClientId/,
    },
  ])('$name -> usage error naming the fix', ({ config, sa, error }) => {
    const target = acrTargetOf('test.azurecr.io/test:latest')!;
    expect(() =>
      chooseIdentity(parseAzureConfig(config), target, sa ? serviceAccount(sa as Record<string, string>) : undefined),
    ).toThrow(error);
  });
});

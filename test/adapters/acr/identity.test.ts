/**
 * Which identity asks ACR: upstream's TestNewAcrProvider_CredentialSelection (research/azure-acr.md
 * §3.4) as a table, identity-binding rows included, then upstream's
 * TestGetIdentityBindingsTokenCredential; the rows where credkit deliberately differs say so in
 * their name.
 */
import { describe, expect, it } from 'vitest';
import { azureConfigOf } from '../../../adapters/acr/azure-json.ts';
import { chooseIdentity, exchangesToken } from '../../../adapters/acr/identity.ts';
import { identityBindingsOf } from '../../../adapters/acr/identity-binding.ts';
import { acrTargetOf } from '../../../adapters/acr/provider.ts';
import type { Context } from '../../../core/index.ts';

/** The test configs are JSON text, as AKS writes azure.json. */
const azureConfig = (json: string) => azureConfigOf(JSON.parse(json));

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
    expect(chooseIdentity(azureConfig(config), target!, sa ? serviceAccount(sa) : undefined)).toEqual(expected);
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
      chooseIdentity(azureConfig(config), target, sa ? serviceAccount(sa as Record<string, string>) : undefined),
    ).toThrow(error);
  });
});

const IB = identityBindingsOf({ 'ib-sni-name': 'test-sni-name', 'ib-apiserver-ip': '10.0.0.1' })!;
const IB_DEFAULTS = identityBindingsOf({
  'ib-sni-name': 'api.example.com',
  'ib-apiserver-ip': '10.0.0.1',
  'ib-default-client-id': 'default-client-456',
  'ib-default-tenant-id': 'default-tenant',
})!;
const ibIdentity = (clientId: string, tenantId: string | undefined, bindings = IB) => ({
  kind: 'identityBinding',
  clientId,
  ...(tenantId ? { tenantId } : {}),
  assertion: 'test-service-account-token',
  subject: SUBJECT,
  bindings,
});

describe('chooseIdentity with identity bindings (upstream CredentialSelection, ib rows)', () => {
  it.each([
    {
      name: 'MCR mirrored skips identity bindings -> managed identity',
      config: M,
      image: 'mcr.microsoft.com/azure-cli:latest',
      mirror: 'mcr.microsoft.com:test.azurecr.io',
      sa: undefined,
      expected: MANAGED,
    },
    {
      name: 'MCR mirrored skips identity bindings even with an SA token',
      config: M,
      image: 'mcr.microsoft.com/azure-cli:latest',
      mirror: 'mcr.microsoft.com:test.azurecr.io',
      sa: A,
      expected: MANAGED,
    },
    {
      name: 'direct ACR with a mirror configured -> identity bindings',
      config: T,
      image: 'test.azurecr.io/myapp:latest',
      mirror: 'mcr.microsoft.com:mirror.azurecr.io',
      sa: A,
      expected: ibIdentity('test-client-id', 'test-tenant-id'),
    },
    {
      name: 'the mirror target used directly -> identity bindings',
      config: T,
      image: 'test.azurecr.io/azure-cli:latest',
      mirror: 'mcr.microsoft.com:test.azurecr.io',
      sa: A,
      expected: ibIdentity('test-client-id', 'test-tenant-id'),
    },
    {
      name: 'identity bindings win over the federated client assertion',
      config: M,
      image: 'test.azurecr.io/test:latest',
      sa: A,
      expected: ibIdentity('test-client-id', 'test-tenant-id'),
    },
    {
      name: 'no annotations -> the default client and tenant',
      config: T,
      image: 'test.azurecr.io/test:latest',
      sa: {} as Record<string, string>,
      bindings: IB_DEFAULTS,
      expected: ibIdentity('default-client-456', 'default-tenant', IB_DEFAULTS),
    },
    {
      name: 'the annotations override the defaults',
      config: T,
      image: 'test.azurecr.io/test:latest',
      sa: A,
      bindings: IB_DEFAULTS,
      expected: ibIdentity('test-client-id', 'test-tenant-id', IB_DEFAULTS),
    },
    {
      name: 'differs: no tenant anywhere but azure.json -> its tenantId (upstream always sends that one to ACR)',
      config: T,
      image: 'test.azurecr.io/test:latest',
      sa: { 'kubernetes.azure.com/acr-client-id': 'test-client-id' },
      expected: ibIdentity('test-client-id', 'test-tenant-id'),
    },
    {
      name: 'no tenant at all: none is sent',
      config: M,
      image: 'test.azurecr.io/test:latest',
      sa: { 'kubernetes.azure.com/acr-client-id': 'test-client-id' },
      expected: ibIdentity('test-client-id', undefined),
    },
  ])('$name', ({ config, image, mirror, sa, bindings = IB, expected }) => {
    const target = acrTargetOf(image, mirror)!;
    expect(chooseIdentity(azureConfig(config), target, sa ? serviceAccount(sa) : undefined, bindings)).toEqual(
      expected,
    );
  });

  it.each([
    {
      name: 'direct ACR + mirror, no SA token -> identity bindings error',
      image: 'test.azurecr.io/myapp:latest',
      mirror: 'mcr.microsoft.com:mirror.azurecr.io',
      sa: undefined,
      error:
        /^service account token not found in request, which identity bindings \(--ib-sni-name\) need: set tokenAttributes.serviceAccountTokenAudience to api:\/\/AKSIdentityBinding/,
    },
    {
      name: 'the mirror target used directly, no SA token -> identity bindings error',
      image: 'test.azurecr.io/azure-cli:latest',
      mirror: 'mcr.microsoft.com:test.azurecr.io',
      sa: undefined,
      error: /identity bindings/,
    },
    {
      name: 'no client annotation and no default (upstream: "client ID not configured")',
      image: 'test.azurecr.io/test:latest',
      sa: {} as Record<string, string>,
      error:
        /^client ID not found in service account annotations \(checked kubernetes.azure.com\/acr-client-id of system:serviceaccount:ns:sa\) and no default client ID configured: /,
    },
    {
      name: 'an empty client annotation does not fall back to the default, as upstream',
      image: 'test.azurecr.io/test:latest',
      sa: { 'kubernetes.azure.com/acr-client-id': '' },
      bindings: IB_DEFAULTS,
      error: /client ID not found in service account annotations/,
    },
    {
      name: 'stricter: a client id Entra could never accept',
      image: 'test.azurecr.io/test:latest',
      sa: { 'kubernetes.azure.com/acr-client-id': 'a b' },
      error: /annotation kubernetes.azure.com\/acr-client-id of service account .* is "a b", not an Entra ID/,
    },
    {
      name: 'stricter: a default tenant Entra could never accept',
      image: 'test.azurecr.io/test:latest',
      sa: { 'kubernetes.azure.com/acr-client-id': 'c' },
      bindings: identityBindingsOf({
        'ib-sni-name': 's',
        'ib-apiserver-ip': '10.0.0.1',
        'ib-default-tenant-id': '../x',
      }),
      error: /^--ib-default-tenant-id is "\.\.\/x", not an Entra ID/,
    },
  ])('$name', ({ image, mirror, sa, bindings = IB, error }) => {
    const target = acrTargetOf(image, mirror)!;
    expect(() => chooseIdentity(azureConfig(T), target, sa ? serviceAccount(sa) : undefined, bindings)).toThrow(error);
  });
});

describe('upstream TestGetIdentityBindingsTokenCredential', () => {
  const sa = serviceAccount({ 'kubernetes.azure.com/acr-client-id': 'test-client-123' });
  const target = acrTargetOf('test.azurecr.io/test:latest')!;
  it.each([
    {
      name: 'valid config',
      flags: { 'ib-sni-name': 'api.example.com', 'ib-apiserver-ip': '10.0.0.1' },
      sa,
      error: undefined,
    },
    { name: 'missing SNI name', flags: { 'ib-apiserver-ip': '10.0.0.1' }, sa, error: /ib-sni-name must be set/ },
    {
      name: 'missing API server IP',
      flags: { 'ib-sni-name': 'api.example.com' },
      sa,
      error: /ib-apiserver-ip must be set/,
    },
    {
      name: 'missing service account token',
      flags: { 'ib-sni-name': 'api.example.com', 'ib-apiserver-ip': '10.0.0.1' },
      sa: undefined,
      error: /service account token not found in request/,
    },
  ])('$name', ({ flags, sa: account, error }) => {
    const choose = () => chooseIdentity(azureConfig('{}'), target, account, identityBindingsOf(flags));
    if (error) expect(choose).toThrow(error);
    else expect(choose()).toMatchObject({ kind: 'identityBinding', clientId: 'test-client-123' });
  });
});

describe('exchangesToken: with identity bindings every non-mirrored ACR image trades the token', () => {
  it.each([
    { name: 'ACR, no annotations', image: 'test.azurecr.io/x', annotations: {}, bindings: IB, expected: true },
    {
      name: 'ACR, no annotations, no bindings',
      image: 'test.azurecr.io/x',
      annotations: {},
      bindings: undefined,
      expected: false,
    },
    {
      name: 'mirrored',
      image: 'mcr.microsoft.com/x',
      mirror: 'mcr.microsoft.com:test.azurecr.io',
      annotations: A,
      bindings: IB,
      expected: false,
    },
    { name: 'not ACR', image: 'docker.io/library/nginx', annotations: A, bindings: IB, expected: false },
  ])('$name -> $expected', ({ image, mirror, annotations, bindings, expected }) => {
    expect(exchangesToken(annotations, acrTargetOf(image, mirror), bindings)).toBe(expected);
  });
});

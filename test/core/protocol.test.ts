import { describe, expect, it } from 'vitest';
import {
  credentialProviderRequestSchema,
  credentialProviderResponseSchema,
  encodeRequest,
  encodeResponse,
  kubeletResponseSchema,
} from '../../core/protocol.ts';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';

// Test_encodeRequest: the exact bytes the kubelet writes (research/kubelet-protocol.md §1.2).
describe('encodeRequest writes the kubelet bytes', () => {
  it.each([
    {
      name: 'v1alpha1',
      input: { apiVersion: 'credentialprovider.kubelet.k8s.io/v1alpha1' as const, image: 'test.registry.io/foobar' },
      bytes:
        '{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1alpha1","image":"test.registry.io/foobar"}\n',
    },
    {
      name: 'v1beta1',
      input: { apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1' as const, image: 'test.registry.io/foobar' },
      bytes:
        '{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","image":"test.registry.io/foobar"}\n',
    },
    {
      name: 'v1 with service account',
      input: {
        apiVersion: V1,
        image: 'test.registry.io/foobar',
        serviceAccountToken: 'service-account-token',
        serviceAccountAnnotations: { 'domain.io/annotation1': 'value1' },
      },
      bytes:
        '{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"test.registry.io/foobar","serviceAccountToken":"service-account-token","serviceAccountAnnotations":{"domain.io/annotation1":"value1"}}\n',
    },
  ] as Array<{ name: string; input: Parameters<typeof encodeRequest>[0]; bytes: string }>)(
    '$name',
    ({ input, bytes }) => {
      expect(encodeRequest(input)).toBe(bytes);
    },
  );
});

describe('requests are read leniently but checked', () => {
  it.each([
    {
      name: 'v1 with SA fields',
      json: {
        kind: 'CredentialProviderRequest',
        apiVersion: V1,
        image: 'a.io/b',
        serviceAccountToken: 't',
        serviceAccountAnnotations: { k: 'v' },
      },
      ok: true,
      token: 't',
    },
    {
      name: 'unknown field tolerated',
      json: { kind: 'CredentialProviderRequest', apiVersion: V1, image: 'a.io/b', futureField: 1 },
      ok: true,
      token: undefined,
    },
    {
      name: 'v1beta1 drops SA fields',
      json: {
        kind: 'CredentialProviderRequest',
        apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1',
        image: 'a.io/b',
        serviceAccountToken: 't',
      },
      ok: true,
      token: undefined,
    },
    { name: 'wrong kind', json: { kind: 'WrongKind', apiVersion: V1, image: 'a.io/b' }, ok: false, token: undefined },
    {
      name: 'unknown apiVersion',
      json: { kind: 'CredentialProviderRequest', apiVersion: 'foobar.kubelet.k8s.io/v1beta1', image: 'a.io/b' },
      ok: false,
      token: undefined,
    },
    {
      name: 'empty image',
      json: { kind: 'CredentialProviderRequest', apiVersion: V1, image: '' },
      ok: false,
      token: undefined,
    },
    { name: 'missing image', json: { kind: 'CredentialProviderRequest', apiVersion: V1 }, ok: false, token: undefined },
  ])('$name', ({ json, ok, token }) => {
    const parsed = credentialProviderRequestSchema.safeParse(json);
    expect(parsed.success).toBe(ok);
    if (parsed.success) expect(parsed.data.serviceAccountToken).toBe(token);
  });
});

// Test_decodeResponse plus the strict-decoding rules (§1.4, §1.5).
describe('responses: what the kubelet decodes, and what credkit writes', () => {
  const good = {
    kind: 'CredentialProviderResponse',
    apiVersion: V1,
    cacheKeyType: 'Registry',
    cacheDuration: '1m',
    auth: { '*.registry.io': { username: 'user', password: 'password' } },
  };
  it.each([
    { name: 'canonical v1', json: good, kubelet: true, credkit: true },
    {
      name: 'v1beta1',
      json: { ...good, apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1' },
      kubelet: true,
      credkit: true,
    },
    {
      name: 'v1alpha1',
      json: { ...good, apiVersion: 'credentialprovider.kubelet.k8s.io/v1alpha1' },
      kubelet: true,
      credkit: true,
    },
    { name: 'wrong kind', json: { ...good, kind: 'WrongKind' }, kubelet: false, credkit: false },
    {
      name: 'wrong group',
      json: { ...good, apiVersion: 'foobar.kubelet.k8s.io/v1beta1' },
      kubelet: false,
      credkit: false,
    },
    { name: 'extra field', json: { ...good, metadata: {} }, kubelet: false, credkit: false },
    {
      name: 'case-mismatched field',
      json: { kind: good.kind, apiVersion: V1, CacheKeyType: 'Registry' },
      kubelet: false,
      credkit: false,
    },
    { name: 'lower-case cacheKeyType', json: { ...good, cacheKeyType: 'registry' }, kubelet: false, credkit: false },
    { name: 'empty cacheKeyType', json: { ...good, cacheKeyType: '' }, kubelet: false, credkit: false },
    { name: 'numeric cacheDuration', json: { ...good, cacheDuration: 60 }, kubelet: false, credkit: false },
    { name: 'empty cacheDuration', json: { ...good, cacheDuration: '' }, kubelet: false, credkit: false },
    { name: 'day unit', json: { ...good, cacheDuration: '1d' }, kubelet: false, credkit: false },
    {
      name: 'negative duration (kubelet accepts by accident)',
      json: { ...good, cacheDuration: '-1m' },
      kubelet: true,
      credkit: false,
    },
    {
      name: 'extra auth field',
      json: { ...good, auth: { a: { username: 'u', password: 'p', email: 'e' } } },
      kubelet: false,
      credkit: false,
    },
    {
      name: 'no auth, no duration',
      json: { kind: good.kind, apiVersion: V1, cacheKeyType: 'Image' },
      kubelet: true,
      credkit: true,
    },
  ])('$name', ({ json, kubelet, credkit }) => {
    expect(kubeletResponseSchema.safeParse(json).success).toBe(kubelet);
    expect(credentialProviderResponseSchema.safeParse(json).success).toBe(credkit);
  });

  it('encodes like the kubelet encoder: field order, sorted auth keys, newline', () => {
    const text = encodeResponse({
      kind: 'CredentialProviderResponse',
      apiVersion: V1,
      cacheKeyType: 'Registry',
      auth: {
        'gcr.io': { username: '_token', password: 'abc123' },
        '*.gcr.io': { username: '_token', password: 'abc123' },
      },
    });
    expect(text).toBe(
      '{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Registry","auth":{"*.gcr.io":{"username":"_token","password":"abc123"},"gcr.io":{"username":"_token","password":"abc123"}}}\n',
    );
  });

  it('refuses to encode an invalid response', () => {
    expect(() =>
      encodeResponse({
        kind: 'CredentialProviderResponse',
        apiVersion: V1,
        cacheKeyType: 'Registry',
        cacheDuration: '-5m',
      }),
    ).toThrow();
  });
});

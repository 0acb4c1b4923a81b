import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ConfiguredProvider,
  decodeCredentialProviderConfig,
  isQualifiedName,
  readCredentialProviderConfig,
  validateCredentialProviderConfig,
} from '../../core/config.ts';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const base: ConfiguredProvider = {
  name: 'foobar',
  matchImages: ['foobar.registry.io'],
  defaultCacheDuration: '1m',
  apiVersion: V1,
};
const token = { serviceAccountTokenAudience: 'aud', cacheType: 'Token', requireServiceAccount: true };

// Test_validateCredentialProviderConfig (research/kubelet-protocol.md §2.5), messages as the kubelet prints them.
describe('validateCredentialProviderConfig', () => {
  it.each([
    {
      name: 'valid v1alpha1 provider',
      providers: [{ ...base, apiVersion: 'credentialprovider.kubelet.k8s.io/v1alpha1' }],
      error: undefined,
    },
    {
      name: 'valid v1 with token attributes',
      providers: [
        {
          ...base,
          tokenAttributes: {
            ...token,
            requiredServiceAccountAnnotationKeys: ['now-with-dashes/simple-1', 'now-with-dashes/simple-2'],
            optionalServiceAccountAnnotationKeys: ['now-with-dashes/simple-3'],
          },
        },
      ],
      error: undefined,
    },
    { name: 'no providers', providers: [], error: 'providers: Required value: at least 1 item in plugins is required' },
    {
      name: 'name with slash',
      providers: [{ ...base, name: 'foo/../bar' }],
      error: `providers.name: Invalid value: "foo/../bar": provider name cannot contain '/'`,
    },
    {
      name: 'name with space',
      providers: [{ ...base, name: 'foo bar' }],
      error: 'providers.name: Invalid value: "foo bar": provider name cannot contain spaces',
    },
    {
      name: 'name dot',
      providers: [{ ...base, name: '.' }],
      error: `providers.name: Invalid value: ".": provider name cannot be '.'`,
    },
    {
      name: 'name dot-dot',
      providers: [{ ...base, name: '..' }],
      error: `providers.name: Invalid value: "..": provider name cannot be '..'`,
    },
    { name: 'duplicate names', providers: [base, base], error: 'providers.name: Duplicate value: "foobar"' },
    {
      name: 'empty apiVersion',
      providers: [{ ...base, apiVersion: '' }],
      error: 'providers.apiVersion: Required value',
    },
    {
      name: 'unknown apiVersion',
      providers: [{ ...base, apiVersion: 'credentialprovider.kubelet.k8s.io/v1alpha0' }],
      error:
        'providers.apiVersion: Unsupported value: "credentialprovider.kubelet.k8s.io/v1alpha0": supported values: "credentialprovider.kubelet.k8s.io/v1", "credentialprovider.kubelet.k8s.io/v1alpha1", "credentialprovider.kubelet.k8s.io/v1beta1"',
    },
    {
      name: 'no matchImages',
      providers: [{ ...base, matchImages: [] }],
      error: 'providers.matchImages: Required value: at least 1 item in matchImages is required',
    },
    {
      name: 'bad matchImage',
      providers: [{ ...base, matchImages: ['%invalid%'] }],
      error: /providers\.matchImages: Invalid value: "%invalid%": match image is invalid/,
    },
    {
      name: 'no defaultCacheDuration',
      providers: [{ ...base, defaultCacheDuration: undefined }],
      error: 'providers.defaultCacheDuration: Required value',
    },
    {
      name: 'negative defaultCacheDuration',
      providers: [{ ...base, defaultCacheDuration: '-1m0s' }],
      error: 'providers.defaultCacheDuration: Invalid value: "-1m0s": must be greater than or equal to 0',
    },
    {
      name: 'empty audience',
      providers: [{ ...base, tokenAttributes: { ...token, serviceAccountTokenAudience: '' } }],
      error: 'providers.tokenAttributes.serviceAccountTokenAudience: Required value',
    },
    {
      name: 'no cacheType (a v1.33 config)',
      providers: [{ ...base, tokenAttributes: { ...token, cacheType: undefined } }],
      error:
        'providers.tokenAttributes.cacheType: Required value: cacheType is required to be set when tokenAttributes is specified. Supported values are: ServiceAccount, Token',
    },
    {
      name: 'unknown cacheType',
      providers: [{ ...base, tokenAttributes: { ...token, cacheType: 'invalid-cache-type' } }],
      error:
        'providers.tokenAttributes.cacheType: Unsupported value: "invalid-cache-type": supported values: "ServiceAccount", "Token"',
    },
    {
      name: 'requireServiceAccount unset',
      providers: [{ ...base, tokenAttributes: { ...token, requireServiceAccount: undefined } }],
      error: 'providers.tokenAttributes.requireServiceAccount: Required value',
    },
    {
      name: 'tokenAttributes on v1beta1',
      providers: [{ ...base, apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1', tokenAttributes: token }],
      error:
        'providers.tokenAttributes: Forbidden: tokenAttributes is only supported for credentialprovider.kubelet.k8s.io/v1 API version',
    },
    {
      name: 'required keys without requireServiceAccount',
      providers: [
        {
          ...base,
          tokenAttributes: { ...token, requireServiceAccount: false, requiredServiceAccountAnnotationKeys: ['a.io/b'] },
        },
      ],
      error:
        'providers.tokenAttributes.requiredServiceAccountAnnotationKeys: Forbidden: requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set',
    },
    {
      name: 'bad annotation key',
      providers: [
        { ...base, tokenAttributes: { ...token, optionalServiceAccountAnnotationKeys: ['cantendwithadash-'] } },
      ],
      error:
        /providers\.tokenAttributes\.optionalServiceAccountAnnotationKeys: Invalid value: "cantendwithadash-": name part must consist of alphanumeric characters/,
    },
    {
      name: 'duplicate key',
      providers: [
        {
          ...base,
          tokenAttributes: {
            ...token,
            requiredServiceAccountAnnotationKeys: ['now-with-dashes/simple', 'now-with-dashes/simple'],
          },
        },
      ],
      error:
        'providers.tokenAttributes.requiredServiceAccountAnnotationKeys: Duplicate value: "now-with-dashes/simple"',
    },
    {
      name: 'key both required and optional',
      providers: [
        {
          ...base,
          tokenAttributes: {
            ...token,
            requiredServiceAccountAnnotationKeys: ['now-with-dashes/simple-2'],
            optionalServiceAccountAnnotationKeys: ['now-with-dashes/simple-2'],
          },
        },
      ],
      error:
        'providers.tokenAttributes: Invalid value: ["now-with-dashes/simple-2"]: annotation keys cannot be both required and optional',
    },
    {
      name: 'path glob is valid config (though it never matches)',
      providers: [{ ...base, matchImages: ['registry.io/*'] }],
      error: undefined,
    },
  ])('$name', ({ providers, error }) => {
    const errors = validateCredentialProviderConfig(providers as ConfiguredProvider[]);
    if (error === undefined) expect(errors).toEqual([]);
    else if (typeof error === 'string') expect(errors).toContain(error);
    else expect(errors.join('\n')).toMatch(error);
  });
});

describe('decoding and reading', () => {
  it.each([
    {
      name: 'v1alpha1 YAML',
      text: 'apiVersion: kubelet.config.k8s.io/v1alpha1\nkind: CredentialProviderConfig\nproviders:\n- name: test\n  matchImages: ["registry.io"]\n  defaultCacheDuration: 10m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1alpha1\n',
      error: undefined,
    },
    {
      name: 'JSON',
      text: '{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[{"name":"t","matchImages":["r.io"],"defaultCacheDuration":"1m","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}]}',
      error: undefined,
    },
    {
      name: 'unknown field',
      text: 'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n- name: t\n  unknownField: 1\n',
      error: /strict decoding error: unknown field "providers\.0\.unknownField"/,
    },
    {
      name: 'tokenAttributes in v1beta1',
      text: 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: CredentialProviderConfig\nproviders:\n- name: t\n  tokenAttributes: {serviceAccountTokenAudience: a}\n',
      error: /unknown field "providers\.0\.tokenAttributes"/,
    },
    {
      name: 'wrong kind',
      text: 'apiVersion: kubelet.config.k8s.io/v1\nkind: WrongKind\nproviders: []\n',
      error: /strict decoding error/,
    },
    {
      name: 'wrong group',
      text: 'apiVersion: foobar/v1alpha1\nkind: CredentialProviderConfig\nproviders: []\n',
      error: /strict decoding error/,
    },
  ])('$name', ({ text, error }) => {
    if (error) expect(() => decodeCredentialProviderConfig(text)).toThrow(error);
    else expect(decodeCredentialProviderConfig(text).providers).toHaveLength(1);
  });

  it('merges a directory in lexical order, skipping other extensions, refusing duplicates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'credkit-config-'));
    const file = (name: string) =>
      `apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n- name: ${name}\n  matchImages: [r.io]\n  defaultCacheDuration: 1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n`;
    writeFileSync(join(dir, 'b.yaml'), file('second'));
    writeFileSync(join(dir, 'a.yml'), file('first'));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    expect(readCredentialProviderConfig(dir).map((p) => p.name)).toEqual(['first', 'second']);
    writeFileSync(
      join(dir, 'c.json'),
      JSON.stringify({
        apiVersion: 'kubelet.config.k8s.io/v1',
        kind: 'CredentialProviderConfig',
        providers: [{ name: 'first', matchImages: ['r.io'], defaultCacheDuration: '1m', apiVersion: V1 }],
      }),
    );
    expect(() => readCredentialProviderConfig(dir)).toThrow(
      'duplicate provider name "first" found in configuration file(s)',
    );
    const empty = mkdtempSync(join(tmpdir(), 'credkit-empty-'));
    expect(() => readCredentialProviderConfig(empty)).toThrow(/no configuration files found in directory/);
  });

  it.each([
    { key: 'eks.amazonaws.com/ecr-role-arn', ok: true },
    { key: 'simple', ok: true },
    { key: 'now-with-dashes/simple', ok: true },
    { key: 'cantendwithadash-', ok: false },
    { key: 'a/b/c', ok: false },
    { key: '/name', ok: false },
  ])('qualified name $key → $ok', ({ key, ok }) => {
    expect(isQualifiedName(key)).toBe(ok);
  });
});

import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../adapters/quay/config.ts';
import { provider } from '../../../adapters/quay/index.ts';
import { matchImagesOf, parseProviderArgs, tokenAttributesOf } from '../../../core/index.ts';

describe('--registry: the Quay hosts, quay.io by default', () => {
  it.each([
    { name: 'none given', registry: undefined, registries: ['quay.io'], audience: 'quay.io' },
    {
      name: 'self-hosted',
      registry: ['quay.example.com'],
      registries: ['quay.example.com'],
      audience: 'quay.example.com',
    },
    {
      name: 'with a port: the audience is the host',
      registry: ['quay.example.com:8443'],
      registries: ['quay.example.com:8443'],
      audience: 'quay.example.com',
    },
    {
      name: 'both, first names the audience, duplicates and case folded',
      registry: ['Quay.Example.com', 'quay.io', 'quay.example.com'],
      registries: ['quay.example.com', 'quay.io'],
      audience: 'quay.example.com',
    },
  ])('$name', ({ registry, registries, audience }) => {
    expect(readConfig(registry ? { registry } : {})).toEqual({ registries, audience });
  });

  it.each([
    { name: 'a scheme', value: 'https://quay.example.com', error: /without scheme or path/ },
    { name: 'a path', value: 'quay.example.com/org', error: /without scheme or path/ },
    { name: 'a glob', value: '*.quay.io', error: /is not a registry host/ },
    { name: 'userinfo', value: 'robot@quay.example.com', error: /is not a registry host/ },
    { name: 'port 0', value: 'quay.example.com:0', error: /is not a registry host/ },
    { name: 'port out of range', value: 'quay.example.com:70000', error: /is not a registry host/ },
    { name: 'empty', value: '', error: /is not a registry host/ },
    { name: 'a label ending in a hyphen', value: 'quay-.example.com', error: /is not a registry host/ },
  ])('refuses $name as a usage error', ({ value, error }) => {
    expect(() => readConfig({ registry: [value] })).toThrow(error);
    expect(() => readConfig({ registry: [value] })).toThrow(expect.objectContaining({ kind: 'usage' }));
  });
});

describe('the declaration the kubelet config comes from', () => {
  it.each([
    { name: 'default', args: [], audience: 'quay.io', matchImages: ['quay.io'] },
    {
      name: 'self-hosted',
      args: ['--registry=quay.example.com'],
      audience: 'quay.example.com',
      matchImages: ['quay.example.com'],
    },
    {
      name: 'two hosts, one with a port',
      args: ['--registry=quay.example.com:8443', '--registry=quay.io'],
      audience: 'quay.example.com',
      matchImages: ['quay.example.com:8443', 'quay.io'],
    },
  ])(
    '$name: audience $audience, matchImages $matchImages, ServiceAccount cache, the robot annotation optional',
    ({ args, audience, matchImages }) => {
      const { flags } = parseProviderArgs(provider, args);
      expect(tokenAttributesOf(provider, { flags, env: {} })).toEqual({
        audience,
        cacheType: 'ServiceAccount',
        requireServiceAccount: false,
        requiredAnnotations: [],
        optionalAnnotations: ['quay.io/robot'],
      });
      expect(provider.cacheKeyType).toBe('Registry');
      expect(matchImagesOf(provider, { flags, env: {} })).toEqual(matchImages);
    },
  );
});

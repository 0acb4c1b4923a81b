import { describe, expect, it } from 'vitest';
import {
  type CacheHint,
  KubeletCache,
  type ServiceAccountIdentity,
  serviceAccountKey,
} from '../../../bench/fleet/kubelet-cache.ts';

const sa = (fields: Partial<ServiceAccountIdentity> = {}): ServiceAccountIdentity => ({
  namespace: 'apps',
  name: 'puller',
  uid: 'uid-1',
  annotations: { 'eks.amazonaws.com/ecr-role-arn': 'arn:aws:iam::1:role/a' },
  token: 'token-of-pod-1',
  ...fields,
});
const hint = (cacheKeyType: CacheHint['cacheKeyType'], cacheDurationSeconds: number | undefined): CacheHint => ({
  cacheKeyType,
  cacheDurationSeconds,
});

// research/kubelet-protocol.md §3.5: one entry stored at t=0, then one lookup; hit or miss?
describe('the kubelet cache: hit or miss by key type, service account key and expiry', () => {
  it.each([
    { name: 'Registry entry, same image', stored: hint('Registry', 600), at: 10, image: 'r.io/a/b', hit: true },
    {
      name: 'Registry entry serves another repository on the registry',
      stored: hint('Registry', 600),
      at: 10,
      image: 'r.io/other',
      hit: true,
    },
    { name: 'Registry entry, another registry', stored: hint('Registry', 600), at: 10, image: 'q.io/a/b', hit: false },
    { name: 'Image entry, same image', stored: hint('Image', 600), at: 10, image: 'r.io/a/b', hit: true },
    { name: 'Image entry, another repository', stored: hint('Image', 600), at: 10, image: 'r.io/other', hit: false },
    { name: 'Global entry serves any image', stored: hint('Global', 600), at: 10, image: 'q.io/x', hit: true },
    {
      name: 'at expiry exactly (now is not after it)',
      stored: hint('Registry', 600),
      at: 600,
      image: 'r.io/a/b',
      hit: true,
    },
    { name: 'one second after expiry', stored: hint('Registry', 600), at: 601, image: 'r.io/a/b', hit: false },
    { name: 'cacheDuration 0s is not cached', stored: hint('Registry', 0), at: 0, image: 'r.io/a/b', hit: false },
    {
      name: 'absent cacheDuration: defaultCacheDuration (10 min) applies',
      stored: hint('Registry', undefined),
      at: 599,
      image: 'r.io/a/b',
      hit: true,
    },
  ])('$name', ({ stored, at, image, hit }) => {
    const cache = new KubeletCache(600);
    const key = serviceAccountKey(sa(), 'ServiceAccount');
    cache.store(0, 'r.io/a/b', key, stored);
    expect(cache.lookup(at, image, key)).toBe(hit);
  });

  it.each([
    {
      name: 'ServiceAccount: another pod (token) of the same SA hits',
      cacheType: 'ServiceAccount',
      other: {},
      hit: true,
    },
    { name: 'Token: another pod (token) of the same SA misses', cacheType: 'Token', other: {}, hit: false },
    { name: 'Token: the same pod (token) hits', cacheType: 'Token', other: { token: 'token-of-pod-1' }, hit: true },
    { name: 'another service account misses', cacheType: 'ServiceAccount', other: { name: 'other' }, hit: false },
    { name: 'a recreated SA (new UID) misses', cacheType: 'ServiceAccount', other: { uid: 'uid-2' }, hit: false },
    {
      name: 'a changed annotation value misses',
      cacheType: 'ServiceAccount',
      other: { annotations: { 'eks.amazonaws.com/ecr-role-arn': 'arn:aws:iam::1:role/b' } },
      hit: false,
    },
  ] as const)('$name', ({ cacheType, other, hit }) => {
    const cache = new KubeletCache(0);
    cache.store(0, 'r.io/a/b', serviceAccountKey(sa(), cacheType), hint('Registry', 600));
    const second = sa({ token: 'token-of-pod-2', ...other });
    expect(cache.lookup(10, 'r.io/a/b', serviceAccountKey(second, cacheType))).toBe(hit);
  });

  it('a kubelet restart empties the cache', () => {
    const cache = new KubeletCache(0);
    const key = serviceAccountKey(sa(), 'ServiceAccount');
    cache.store(0, 'r.io/a/b', key, hint('Registry', 3600));
    cache.clear();
    expect(cache.lookup(1, 'r.io/a/b', key)).toBe(false);
  });

  it('an expired entry is dropped when a lookup meets it', () => {
    const cache = new KubeletCache(0);
    cache.store(0, 'r.io/a/b', '', hint('Registry', 60));
    expect(cache.size).toBe(1);
    expect(cache.lookup(61, 'r.io/a/b', '')).toBe(false);
    expect(cache.size).toBe(0);
  });
});

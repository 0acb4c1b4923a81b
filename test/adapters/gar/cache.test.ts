/**
 * KUBE_SIDECAR_CACHE_DURATION and KUBE_SIDECAR_CACHE_TYPE: upstream's parse rules (research/gcp-gar.md
 * §1.3, derived cases D1-D3) as a table, then what they do to an answer of each flow, in process
 * against the fake metadata server. Differences from upstream are beside their rows.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readCacheSettings } from '../../../adapters/gar/cache.ts';
import { CredkitError, parseGoDuration } from '../../../core/index.ts';
import { type GarWorld, IMAGE, resetCloud, runGar, startGarWorld } from './world.ts';

describe('readCacheSettings: upstream getCacheDuration and getCacheKeyType', () => {
  it.each([
    { env: {}, settings: {} },
    { env: { KUBE_SIDECAR_CACHE_DURATION: '' }, settings: {} },
    { env: { KUBE_SIDECAR_CACHE_DURATION: '1m' }, settings: { durationSeconds: 60 } },
    { env: { KUBE_SIDECAR_CACHE_DURATION: '90s' }, settings: { durationSeconds: 90 } },
    { env: { KUBE_SIDECAR_CACHE_DURATION: '1h' }, settings: { durationSeconds: 3600 } },
    { env: { KUBE_SIDECAR_CACHE_DURATION: '1.5h' }, settings: { durationSeconds: 5400 } },
    { env: { KUBE_SIDECAR_CACHE_DURATION: '1h30m' }, settings: { durationSeconds: 5400 } },
    { env: { KUBE_SIDECAR_CACHE_DURATION: '0' }, settings: { durationSeconds: 0 } },
    // Different: upstream prints "1.5s" / "-1m0s"; the kubelet caches neither longer, so whole seconds, never negative.
    { env: { KUBE_SIDECAR_CACHE_DURATION: '1500ms' }, settings: { durationSeconds: 1 } },
    { env: { KUBE_SIDECAR_CACHE_DURATION: '-1m' }, settings: { durationSeconds: 0 } },
    { env: { KUBE_SIDECAR_CACHE_TYPE: 'image' }, settings: { keyType: 'Image' } },
    { env: { KUBE_SIDECAR_CACHE_TYPE: 'registry' }, settings: { keyType: 'Registry' } },
    { env: { KUBE_SIDECAR_CACHE_TYPE: 'global' }, settings: { keyType: 'Global' } },
    { env: { KUBE_SIDECAR_CACHE_TYPE: '' }, settings: {} },
  ])('$env', ({ env, settings }) => {
    expect(readCacheSettings(env)).toEqual(settings);
  });

  // Upstream exits 1 after its network calls; credkit exits 2 before any.
  it.each([
    { env: { KUBE_SIDECAR_CACHE_DURATION: '60' }, error: 'KUBE_SIDECAR_CACHE_DURATION "60" is not a Go duration' },
    { env: { KUBE_SIDECAR_CACHE_DURATION: '1d' }, error: 'KUBE_SIDECAR_CACHE_DURATION "1d" is not a Go duration' },
    { env: { KUBE_SIDECAR_CACHE_DURATION: ' 1m' }, error: 'is not a Go duration' },
    { env: { KUBE_SIDECAR_CACHE_TYPE: 'Image' }, error: 'KUBE_SIDECAR_CACHE_TYPE "Image": Unknown cache key' },
    { env: { KUBE_SIDECAR_CACHE_TYPE: 'REGISTRY' }, error: 'Unknown cache key' },
    { env: { KUBE_SIDECAR_CACHE_TYPE: 'toString' }, error: 'Unknown cache key' },
  ])('refuses $env', ({ env, error }) => {
    let thrown: unknown;
    try {
      readCacheSettings(env);
    } catch (caught) {
      thrown = caught;
    }
    expect(thrown).toBeInstanceOf(CredkitError);
    expect((thrown as CredkitError).kind).toBe('usage');
    expect((thrown as CredkitError).message).toContain(error);
  });
});

let g: GarWorld;
beforeAll(async () => {
  g = await startGarWorld();
});
afterAll(() => g.close());
beforeEach(() => resetCloud(g.cloud));

const seconds = (duration: string | undefined) => Number(parseGoDuration(duration ?? '') / 1_000_000_000n);

describe('the env vars on an answer', () => {
  // gcr: the token's lifetime (3599 s) less the 5 min margin, unless the duration caps it.
  it.each<{ name: string; args: string[]; env: Record<string, string>; type: string; keys: string[]; range: number[] }>(
    [
      {
        name: 'gcr, unset: the token lifetime, Registry',
        args: [],
        env: {},
        type: 'Registry',
        keys: ['us-central1-docker.pkg.dev'],
        range: [3200, 3299],
      },
      {
        name: 'gcr, 1m: capped (upstream: 1m0s)',
        args: [],
        env: { KUBE_SIDECAR_CACHE_DURATION: '1m' },
        type: 'Registry',
        keys: ['us-central1-docker.pkg.dev'],
        range: [60, 60],
      },
      {
        name: 'gcr, 30s: capped below the usual minimum',
        args: [],
        env: { KUBE_SIDECAR_CACHE_DURATION: '30s' },
        type: 'Registry',
        keys: ['us-central1-docker.pkg.dev'],
        range: [30, 30],
      },
      {
        name: 'gcr, 0s: not cached',
        args: [],
        env: { KUBE_SIDECAR_CACHE_DURATION: '0s' },
        type: 'Registry',
        keys: ['us-central1-docker.pkg.dev'],
        range: [0, 0],
      },
      // Different: upstream would say 2h0m0s and let the kubelet use a dead token for an hour.
      {
        name: 'gcr, 2h: no longer than the token',
        args: [],
        env: { KUBE_SIDECAR_CACHE_DURATION: '2h' },
        type: 'Registry',
        keys: ['us-central1-docker.pkg.dev'],
        range: [3200, 3299],
      },
      {
        name: 'gcr, image',
        args: [],
        env: { KUBE_SIDECAR_CACHE_TYPE: 'image' },
        type: 'Image',
        keys: ['us-central1-docker.pkg.dev'],
        range: [3200, 3299],
      },
      // Global: reused for every image, so keyed to Google's four hosts (not the image's host, as upstream also adds).
      {
        name: 'gcr, global',
        args: [],
        env: { KUBE_SIDECAR_CACHE_TYPE: 'global' },
        type: 'Global',
        keys: ['container.cloud.google.com', 'gcr.io', '*.gcr.io', '*.pkg.dev'],
        range: [3200, 3299],
      },
      {
        name: 'dockercfg, unset: as upstream, Image and 0s',
        args: ['-a', 'dockercfg'],
        env: {},
        type: 'Image',
        keys: ['https://us-central1-docker.pkg.dev'],
        range: [0, 0],
      },
      {
        name: 'dockercfg, 10m',
        args: ['-a', 'dockercfg'],
        env: { KUBE_SIDECAR_CACHE_DURATION: '10m' },
        type: 'Image',
        keys: ['https://us-central1-docker.pkg.dev'],
        range: [600, 600],
      },
      {
        name: 'dockercfg, registry',
        args: ['-a', 'dockercfg'],
        env: { KUBE_SIDECAR_CACHE_TYPE: 'registry' },
        type: 'Registry',
        keys: ['https://us-central1-docker.pkg.dev'],
        range: [0, 0],
      },
      {
        name: 'dockercfg, global: every entry',
        args: ['-a', 'dockercfg'],
        env: { KUBE_SIDECAR_CACHE_TYPE: 'global', KUBE_SIDECAR_CACHE_DURATION: '1h' },
        type: 'Global',
        keys: ['https://us-central1-docker.pkg.dev', 'registry.example.com'],
        range: [3600, 3600],
      },
    ],
  )('$name', async ({ args, env, type, keys, range }) => {
    const run = await runGar(g, { args: ['get-credentials', ...args], env, image: IMAGE });
    expect(run.code, run.stderr).toBe(0);
    expect(run.response?.cacheKeyType).toBe(type);
    expect(Object.keys(run.response?.auth ?? {}).sort()).toEqual([...keys].sort());
    const cached = seconds(run.response?.cacheDuration);
    expect(cached).toBeGreaterThanOrEqual(range[0] as number);
    expect(cached).toBeLessThanOrEqual(range[1] as number);
  });

  it.each([
    { args: [], image: IMAGE },
    { args: [], image: 'registry.k8s.io/pause' },
    { args: ['--authFlow=dockercfg-url'], image: IMAGE },
  ])('a bad value fails every exec before any call ($args, $image)', async ({ args, image }) => {
    const run = await runGar(g, {
      args: ['get-credentials', ...args],
      image,
      env: { KUBE_SIDECAR_CACHE_TYPE: 'Image' },
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(g.cloud.metadata.calls() + g.cloud.storage.calls()).toBe(0);
  });
});

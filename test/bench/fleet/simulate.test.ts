import { describe, expect, it } from 'vitest';
import {
  type FleetScenario,
  type ProviderBehaviour,
  poolSizeAtQuota,
  simulateFleet,
} from '../../../bench/fleet/simulate.ts';

const scenario: FleetScenario = {
  nodes: 20,
  hours: 24,
  registries: 5,
  serviceAccounts: 20,
  imagesPerRegistry: 10,
  podStartsPerNodePerHour: 200,
  podLifetimeMinutes: 30,
  kubeletRestartsPerNodePerDay: 0,
  seed: 7,
};
const behaviour = (fields: Partial<ProviderBehaviour>): ProviderBehaviour => ({
  name: 'test',
  hint: { cacheKeyType: 'Registry', cacheDurationSeconds: 3300 },
  cacheType: 'ServiceAccount',
  defaultCacheDurationSeconds: 0,
  callsPerExec: { sts: 1, ecr: 1 },
  credentialLifeSeconds: 3600,
  ...fields,
});

describe('simulateFleet', () => {
  it('0s with Image keys (upstream GAR) execs on every lookup', () => {
    const result = simulateFleet(scenario, behaviour({ hint: { cacheKeyType: 'Image', cacheDurationSeconds: 0 } }));
    expect(result.execs).toBe(result.lookups);
    // 20 nodes × 24 h × 200 pods × 5 registries, within Poisson noise.
    expect(result.lookups / (20 * 24 * 200 * 5)).toBeCloseTo(1, 1);
  });

  // Lookups per (registry, SA) are Poisson at 10/h, so each cached entry lasts TTL plus the wait for the next lookup.
  it.each([
    { ttl: 1800, expected: 1 / (1800 + 360) },
    { ttl: 3300, expected: 1 / (3300 + 360) },
    { ttl: 10500, expected: 1 / (10500 + 360) },
  ])('with Registry keys cached $ttl s, each (registry, SA) execs about once per TTL + 6 min', ({ ttl, expected }) => {
    const result = simulateFleet(
      scenario,
      behaviour({ hint: { cacheKeyType: 'Registry', cacheDurationSeconds: ttl } }),
    );
    const pairs = scenario.nodes * scenario.registries * scenario.serviceAccounts;
    expect(result.execsPerSecond / pairs / expected).toBeGreaterThan(0.9);
    expect(result.execsPerSecond / pairs / expected).toBeLessThan(1.12);
  });

  it('Image keys cache per repository, so they exec more than Registry keys for the same TTL', () => {
    const image = simulateFleet(scenario, behaviour({ hint: { cacheKeyType: 'Image', cacheDurationSeconds: 3300 } }));
    const registry = simulateFleet(scenario, behaviour({}));
    expect(image.execs).toBeGreaterThan(registry.execs * 3);
  });

  it('cacheType Token caches per pod, so one image per registry per pod means an exec per lookup', () => {
    const result = simulateFleet({ ...scenario, nodes: 2 }, behaviour({ cacheType: 'Token' }));
    expect(result.execs).toBe(result.lookups);
  });

  it('kubelet restarts add execs (the cache is lost)', () => {
    const calm = simulateFleet(scenario, behaviour({}));
    const restarting = simulateFleet({ ...scenario, kubeletRestartsPerNodePerDay: 24 }, behaviour({}));
    expect(restarting.execs).toBeGreaterThan(calm.execs * 1.2);
  });

  it('is deterministic for a seed, and counts each service per exec', () => {
    const a = simulateFleet(scenario, behaviour({}));
    const b = simulateFleet(scenario, behaviour({}));
    expect(a).toEqual(b);
    expect(a.callsPerSecond.sts).toBeCloseTo(a.execsPerSecond, 9);
    expect(a.execsPerNodePerDay).toBeCloseTo(a.execs / scenario.nodes, 9);
  });

  it('a credential outlives its pod by about its life minus the pod life', () => {
    const result = simulateFleet(scenario, behaviour({ credentialLifeSeconds: 43200 }));
    expect(result.outlivesPodSeconds.mean).toBeGreaterThan(43200 - 1800 - 300);
    expect(result.outlivesPodSeconds.mean).toBeLessThan(43200 - 1800 + 300);
  });
});

describe('poolSizeAtQuota', () => {
  it.each([
    { quota: 200, calls: 50, nodes: 1000, expected: 4000 },
    { quota: 200, calls: 0, nodes: 1000, expected: Number.POSITIVE_INFINITY },
  ])('$calls calls/s over $nodes nodes reach $quota/s at $expected nodes', ({ quota, calls, nodes, expected }) => {
    expect(poolSizeAtQuota(quota, calls, nodes)).toBe(expected);
  });
});

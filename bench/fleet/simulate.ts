/**
 * A day of a node pool under the kubelet's cache rules (kubelet-cache.ts), for one provider
 * behaviour: how often the kubelet execs the plugin, and how often each exec's calls reach the
 * cloud's token services. Pure and seeded: the same scenario gives the same pods to every
 * behaviour (common random numbers), so credkit and upstream are compared on one workload.
 *
 * The workload, per node: pods start as a Poisson process; each runs under one of the node's
 * service accounts (uniformly) and pulls one image from each registry (a repository picked
 * uniformly), so a pod start is one credential lookup per registry. Each pod gets its own token
 * (the kubelet's TokenRequest is bound to the pod) and lives an exponentially distributed time.
 * The kubelet restarts as a Poisson process and loses its cache each time.
 */
import {
  type CacheHint,
  CacheKeys,
  cacheKey,
  KubeletCache,
  lookupKeys,
  type ServiceAccountCacheType,
  type ServiceAccountIdentity,
  serviceAccountKey,
} from './kubelet-cache.ts';

export interface FleetScenario {
  nodes: number;
  hours: number;
  registries: number;
  serviceAccounts: number;
  /** Repositories per registry a pod picks its image from. */
  imagesPerRegistry: number;
  podStartsPerNodePerHour: number;
  podLifetimeMinutes: number;
  kubeletRestartsPerNodePerDay: number;
  seed: number;
}

/** What a provider binary (or its upstream counterpart) does, as the kubelet sees it. */
export interface ProviderBehaviour {
  name: string;
  /** The hint every service account exec answers with (each exec mints a fresh credential). */
  hint: CacheHint;
  /** The kubelet config's tokenAttributes.cacheType and defaultCacheDuration. */
  cacheType: ServiceAccountCacheType;
  defaultCacheDurationSeconds: number;
  /** Calls per exec to each token service, by name (sts, ecr, entra, ...). */
  callsPerExec: Record<string, number>;
  /** How long the credential an exec returns stays valid, seconds. */
  credentialLifeSeconds: number;
}

export interface FleetResult {
  behaviour: string;
  lookups: number;
  execs: number;
  execsPerNodePerDay: number;
  /** Across the pool, averaged over the simulated time. */
  execsPerSecond: number;
  callsPerSecond: Record<string, number>;
  /** The pool's busiest minute after the first hour, per service, in calls per second. */
  busiestMinuteCallsPerSecond: Record<string, number>;
  /** The first minute, every node booting with an empty cache at once. */
  coldStartMinuteCallsPerSecond: Record<string, number>;
  /** How long each exec's credential stays valid after the pod whose token minted it has ended. */
  outlivesPodSeconds: { mean: number; p95: number };
}

/** mulberry32: small, fast, and good enough to draw arrivals; seeded per node. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const exponential = (rand: () => number, mean: number) => -Math.log(1 - rand()) * mean;

/** Node `index` of `scenario` draws the same restarts and pods whatever the behaviour. */
function nodeRandom(scenario: FleetScenario, index: number): () => number {
  return random(scenario.seed * 1_000_003 + index);
}

function restartTimes(scenario: FleetScenario, rand: () => number): number[] {
  const end = scenario.hours * 3600;
  const times: number[] = [];
  if (scenario.kubeletRestartsPerNodePerDay <= 0) return times;
  const mean = (24 * 3600) / scenario.kubeletRestartsPerNodePerDay;
  for (let t = exponential(rand, mean); t < end; t += exponential(rand, mean)) times.push(t);
  return times;
}

function identity(sa: number, pod: number): ServiceAccountIdentity {
  return {
    namespace: 'apps',
    name: `sa-${sa}`,
    uid: `uid-${sa}`,
    annotations: { 'example.com/role': `role-${sa}` },
    token: `pod-${pod}`,
  };
}

/**
 * The cache keys of every (service account, registry, repository), made once per simulation: with
 * cacheType ServiceAccount they are the same on every node (each node has its own cache). With
 * Token they depend on the pod, and are made per lookup.
 */
function keyTable(scenario: FleetScenario, behaviour: ProviderBehaviour, ids: CacheKeys) {
  const images = Array.from({ length: scenario.registries }, (_, registry) =>
    Array.from({ length: scenario.imagesPerRegistry }, (_, repo) => `registry-${registry}.example/team/app-${repo}`),
  );
  const keysFor = (sa: number, pod: number, registry: number, repo: number) => {
    const image = images[registry]![repo]!;
    const saKey = serviceAccountKey(identity(sa, pod), behaviour.cacheType);
    return {
      lookup: lookupKeys(image, saKey).map((key) => ids.id(key)),
      store: ids.id(cacheKey(behaviour.hint.cacheKeyType, image, saKey)),
    };
  };
  if (behaviour.cacheType === 'Token') return keysFor;
  const table = Array.from({ length: scenario.serviceAccounts }, (_, sa) =>
    images.map((repos, registry) => repos.map((_, repo) => keysFor(sa, 0, registry, repo))),
  );
  return (sa: number, _pod: number, registry: number, repo: number) => table[sa]![registry]![repo]!;
}

/** Seconds a credential outlives its pod, in one-minute bins up to two days: the p95 without keeping every exec. */
class OutliveHistogram {
  readonly bins = new Float64Array(48 * 60 + 1);
  count = 0;
  sum = 0;
  add(seconds: number): void {
    this.count++;
    this.sum += seconds;
    this.bins[Math.min(this.bins.length - 1, Math.floor(seconds / 60))]! += 1;
  }
  summary(): { mean: number; p95: number } {
    if (this.count === 0) return { mean: 0, p95: 0 };
    let seen = 0;
    const rank = Math.ceil(0.95 * this.count);
    for (const [bin, n] of this.bins.entries()) {
      seen += n;
      if (seen >= rank) return { mean: this.sum / this.count, p95: (bin + 1) * 60 };
    }
    return { mean: this.sum / this.count, p95: this.bins.length * 60 };
  }
}

export function simulateFleet(scenario: FleetScenario, behaviour: ProviderBehaviour): FleetResult {
  const minutes = Math.ceil(scenario.hours * 60);
  const services = Object.keys(behaviour.callsPerExec);
  const perMinute = new Float64Array(minutes);
  const outlives = new OutliveHistogram();
  const ids = new CacheKeys();
  const keys = keyTable(scenario, behaviour, ids);
  const end = scenario.hours * 3600;
  const podMean = 3600 / scenario.podStartsPerNodePerHour;
  let lookups = 0;
  let execs = 0;
  for (let node = 0; node < scenario.nodes; node++) {
    const rand = nodeRandom(scenario, node);
    const restarts = restartTimes(scenario, rand);
    const cache = new KubeletCache(behaviour.defaultCacheDurationSeconds, ids);
    let nextRestart = 0;
    let pod = 0;
    for (let start = exponential(rand, podMean); start < end; start += exponential(rand, podMean), pod++) {
      const sa = Math.floor(rand() * scenario.serviceAccounts);
      const podEnd = start + exponential(rand, scenario.podLifetimeMinutes * 60);
      while (nextRestart < restarts.length && (restarts[nextRestart] as number) <= start) {
        cache.clear();
        nextRestart++;
      }
      for (let registry = 0; registry < scenario.registries; registry++) {
        const key = keys(sa, pod, registry, Math.floor(rand() * scenario.imagesPerRegistry));
        lookups++;
        if (cache.lookupIds(start, key.lookup)) continue;
        execs++;
        perMinute[Math.floor(start / 60)]! += 1;
        cache.storeId(start, key.store, behaviour.hint);
        outlives.add(Math.max(0, start + behaviour.credentialLifeSeconds - podEnd));
      }
    }
  }
  const seconds = scenario.hours * 3600;
  // The first hour is the pool booting with empty caches; the busiest minute after it is steady state.
  const steady = perMinute.subarray(Math.min(60, minutes - 1));
  const busiest = (rates: Float64Array) => Math.max(0, ...rates) / 60;
  const perService = (execsPerSecond: number) =>
    Object.fromEntries(services.map((service) => [service, execsPerSecond * (behaviour.callsPerExec[service] ?? 0)]));
  return {
    behaviour: behaviour.name,
    lookups,
    execs,
    execsPerNodePerDay: (execs / scenario.nodes) * (24 / scenario.hours),
    execsPerSecond: execs / seconds,
    callsPerSecond: perService(execs / seconds),
    busiestMinuteCallsPerSecond: perService(busiest(steady)),
    coldStartMinuteCallsPerSecond: perService(busiest(perMinute.subarray(0, 1))),
    outlivesPodSeconds: outlives.summary(),
  };
}

/** The pool size at which the pool's sustained `callsPerSecond` (over `nodes` nodes) grows to `quotaPerSecond`. */
export function poolSizeAtQuota(quotaPerSecond: number, callsPerSecond: number, nodes: number): number {
  const perNode = callsPerSecond / nodes;
  return perNode > 0 ? Math.floor(quotaPerSecond / perNode) : Number.POSITIVE_INFINITY;
}

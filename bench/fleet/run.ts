/**
 * `npm run bench:fleet`: a simulated day of a node pool (simulate.ts) under the kubelet's cache
 * rules, fed by the cache hints the real binaries (dist/bin) give against the fakes — a few execs
 * each, not millions — side by side with the hints the upstream providers give for the same
 * credentials (research/*.md), against each cloud's published quota. Prints the tables, writes
 * bench/fleet.svg and rewrites the fleet section of bench/RESULTS.md.
 *
 *   npm run bench:fleet -- [--nodes 1000] [--hours 24] [--pod-starts 200] [--restarts 1]
 *     [--ecr-sessions 900,3600,14400,43200] [--samples 3] [--no-write]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseGoDuration } from '../../core/duration.ts';
import { type FakeWorld, runLikeKubelet, startFakeWorld } from '../../core/testing/index.ts';
import { BIN_DIR, ROOT } from '../../scripts/binaries.ts';
import { writeResults } from '../report.ts';
import { type CloudScenario, carriesIdentity, ecrScenario, scenarioFor } from '../scenarios.ts';
import type { CacheKeyType } from './kubelet-cache.ts';
import { type Bar, barChart } from './plot.ts';
import {
  type FleetResult,
  type FleetScenario,
  type ProviderBehaviour,
  poolSizeAtQuota,
  simulateFleet,
} from './simulate.ts';

/** The STS session AssumeRoleWithWebIdentity grants without DurationSeconds (research/aws-ecr.md §2.1). */
const STS_DEFAULT_SESSION = 3600;
/** ECR authorization tokens live 12 h, and no longer than the signing session (the fake does the same). */
const ECR_TOKEN_SECONDS = 12 * 3600;
/** The fakes' credential lives, as the clouds' (research/azure-acr.md §5: ACR refresh token ~3 h; gcp-gar.md: ~1 h). */
const ACR_REFRESH_TOKEN_SECONDS = 3 * 3600;
const GOOGLE_TOKEN_SECONDS = 3600;

interface Service {
  /** The fake server's name, which counts the calls. */
  server: string;
  label: string;
  quotaPerSecond?: number;
  quotaSource: string;
}

/** The clouds this study has upstream behaviours and published quotas for. */
type Cloud = 'ecr' | 'acr' | 'gar';

/** The token services each cloud's exec calls, and their published quota where there is one. */
const SERVICES: Record<Cloud, Service[]> = {
  ecr: [
    {
      server: 'sts',
      label: 'STS AssumeRoleWithWebIdentity',
      quotaSource:
        'none published: AWS says STS rate limits apply per account and cannot be raised (knowledge center "iam-sts-throttling-error"), without a figure; none in research/aws-ecr.md',
    },
    {
      server: 'ecr',
      label: 'ECR GetAuthorizationToken',
      quotaPerSecond: 200,
      quotaSource:
        '200/s per account per Region, adjustable (Amazon ECR User Guide, "Amazon ECR service quotas"); research/aws-ecr.md §4 quotes older tracker figures (1 TPS, then 20 TPS burst 200)',
    },
  ],
  acr: [
    {
      server: 'entra',
      label: 'Entra token endpoint',
      quotaSource:
        'none published for token issuance (Microsoft documents Graph and directory quotas, not the token endpoint); none in research/azure-acr.md',
    },
    {
      server: 'benchacr.azurecr.io',
      label: 'ACR /v2/ challenge and /oauth2/exchange',
      quotaSource:
        'none published; ACR answers 429 when it throttles (research/azure-acr.md §5.3), and upstream raised its hint 5 → 60 min "to avoid acr throttling" (#9974)',
    },
  ],
  gar: [
    {
      server: 'sts',
      label: 'Google STS token exchange',
      quotaSource: "none published in research/gcp-gar.md, and none found in Google's STS documentation",
    },
  ],
};

interface Options {
  scenario: FleetScenario;
  ecrSessions: number[];
  samples: number;
  write: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '1000' },
      hours: { type: 'string', default: '24' },
      'pod-starts': { type: 'string', default: '200' },
      restarts: { type: 'string', default: '1' },
      'ecr-sessions': { type: 'string', default: '900,3600,14400,43200' },
      samples: { type: 'string', default: '3' },
      seed: { type: 'string', default: '1' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const number = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} takes a non-negative number, got ${text}`);
    return value;
  };
  const ecrSessions = values['ecr-sessions'].split(',').map((text) => number('ecr-sessions', text));
  for (const seconds of ecrSessions)
    if (seconds < 900 || seconds > 43200) throw new Error('--ecr-sessions: DurationSeconds is 900..43200');
  return {
    scenario: {
      nodes: number('nodes', values.nodes),
      hours: number('hours', values.hours),
      registries: 5,
      serviceAccounts: 20,
      imagesPerRegistry: 10,
      podStartsPerNodePerHour: number('pod-starts', values['pod-starts']),
      podLifetimeMinutes: 30,
      kubeletRestartsPerNodePerDay: number('restarts', values.restarts),
      seed: number('seed', values.seed),
    },
    ecrSessions,
    samples: Math.max(1, number('samples', values.samples)),
    write: !values['no-write'],
  };
}

interface Sample {
  cacheKeyType: CacheKeyType;
  cacheDurationSeconds: number | undefined;
  calls: Record<string, number>;
}

/** `samples` service account execs of the real binary; every answer must be valid and its own. */
async function sampleHints(cloud: Cloud, scenario: CloudScenario, samples: number): Promise<Sample[]> {
  const binary = join(BIN_DIR, `credkit-${cloud}`);
  const out: Sample[] = [];
  for (let i = 0; i < samples; i++) {
    const chosen = await scenario.serviceAccount(i);
    const before = new Map(scenario.world.servers.map((server) => [server.name, server.calls()]));
    const result = await runLikeKubelet({ command: [binary, ...chosen.args], ...chosen.run });
    const password = Object.values(result.response?.auth ?? {})[0]?.password;
    if (!result.verdict.valid || !result.response || !carriesIdentity(scenario, password, chosen.expected)) {
      throw new Error(
        `credkit-${cloud}: sample exec ${i} failed: ${result.stderr.trim() || result.verdict.reasons.join('; ')}`,
      );
    }
    const calls: Record<string, number> = {};
    for (const server of scenario.world.servers) {
      const made = server.calls() - (before.get(server.name) ?? 0);
      if (made > 0) calls[server.name] = (calls[server.name] ?? 0) + made;
    }
    const duration = result.response.cacheDuration;
    out.push({
      cacheKeyType: result.response.cacheKeyType,
      cacheDurationSeconds: duration === undefined ? undefined : Number(parseGoDuration(duration) / 1_000_000_000n),
      calls,
    });
  }
  return out;
}

/** The samples must agree (each exec mints a fresh credential): the median hint stands for them. */
function credkitBehaviour(name: string, samples: Sample[], credentialLifeSeconds: number): ProviderBehaviour {
  const durations = samples.map((s) => s.cacheDurationSeconds ?? 0).sort((a, b) => a - b);
  const first = samples[0] as Sample;
  return {
    name,
    hint: { cacheKeyType: first.cacheKeyType, cacheDurationSeconds: durations[Math.floor(durations.length / 2)] },
    cacheType: 'ServiceAccount',
    defaultCacheDurationSeconds: 0,
    callsPerExec: first.calls,
    credentialLifeSeconds,
  };
}

/** Upstream's hints for the same credentials, by the research's reading of each upstream source. */
function upstreamBehaviours(): Record<Cloud, ProviderBehaviour[]> {
  const ecrToken = Math.min(ECR_TOKEN_SECONDS, STS_DEFAULT_SESSION);
  return {
    ecr: [
      {
        // getCacheDuration: half the token's remaining life (research/aws-ecr.md §1.8); no DurationSeconds (§2.1).
        name: 'upstream ecr-credential-provider',
        hint: { cacheKeyType: 'Registry', cacheDurationSeconds: Math.floor(ecrToken / 2) },
        cacheType: 'ServiceAccount',
        defaultCacheDurationSeconds: 12 * 3600,
        callsPerExec: { sts: 1, ecr: 1 },
        credentialLifeSeconds: ecrToken,
      },
    ],
    acr: [
      {
        // defaultCacheTTL 60 min on master, v1.34.7+, v1.36+ (research/azure-acr.md §2, PR #9974).
        name: 'upstream acr-credential-provider (v1.34.7+, v1.36+)',
        hint: { cacheKeyType: 'Registry', cacheDurationSeconds: 3600 },
        cacheType: 'ServiceAccount',
        defaultCacheDurationSeconds: 600,
        callsPerExec: { entra: 1, 'benchacr.azurecr.io': 2 },
        credentialLifeSeconds: ACR_REFRESH_TOKEN_SECONDS,
      },
      {
        name: 'upstream acr-credential-provider (v1.33, ≤ v1.34.6, v1.35.x)',
        hint: { cacheKeyType: 'Registry', cacheDurationSeconds: 300 },
        cacheType: 'ServiceAccount',
        defaultCacheDurationSeconds: 600,
        callsPerExec: { entra: 1, 'benchacr.azurecr.io': 2 },
        credentialLifeSeconds: ACR_REFRESH_TOKEN_SECONDS,
      },
    ],
    gar: [
      {
        // cacheKeyType Image, cacheDuration always "0s" (research/gcp-gar.md §0).
        name: 'upstream auth-provider-gcp',
        hint: { cacheKeyType: 'Image', cacheDurationSeconds: 0 },
        cacheType: 'ServiceAccount',
        defaultCacheDurationSeconds: 60,
        callsPerExec: { sts: 1 },
        credentialLifeSeconds: GOOGLE_TOKEN_SECONDS,
      },
    ],
  };
}

interface Row {
  cloud: Cloud;
  kind: Bar['kind'];
  setting: string;
  behaviour: ProviderBehaviour;
  samples?: Sample[];
  result: FleetResult;
}

async function withWorld<T>(use: (world: FakeWorld) => Promise<T>): Promise<T> {
  const world = await startFakeWorld();
  try {
    return await use(world);
  } finally {
    await world.close();
  }
}

async function credkitRows(opts: Options, log: (line: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  const simulate = (behaviour: ProviderBehaviour) => simulateFleet(opts.scenario, behaviour);
  for (const session of opts.ecrSessions) {
    log(`sampling credkit-ecr hints, STS session ${session} s`);
    const samples = await withWorld(async (world) =>
      sampleHints('ecr', await ecrScenario(world, opts.samples, { sessionSeconds: session }), opts.samples),
    );
    const behaviour = credkitBehaviour('credkit-ecr', samples, Math.min(ECR_TOKEN_SECONDS, session));
    const kind = session === STS_DEFAULT_SESSION ? 'credkit' : 'setting';
    rows.push({
      cloud: 'ecr',
      kind,
      setting: `STS session ${session} s${session === STS_DEFAULT_SESSION ? ' (default)' : ''}`,
      behaviour,
      samples,
      result: simulate(behaviour),
    });
  }
  for (const [cloud, life] of [
    ['acr', ACR_REFRESH_TOKEN_SECONDS],
    ['gar', GOOGLE_TOKEN_SECONDS],
  ] as const) {
    log(`sampling credkit-${cloud} hints`);
    const samples = await withWorld(async (world) =>
      sampleHints(cloud, await scenarioFor(cloud, world, opts.samples), opts.samples),
    );
    const behaviour = credkitBehaviour(`credkit-${cloud}`, samples, life);
    rows.push({ cloud, kind: 'credkit', setting: 'default', behaviour, samples, result: simulate(behaviour) });
  }
  return rows;
}

const perS = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1));
const hours = (seconds: number) => `${(seconds / 3600).toFixed(2)} h`;
const duration = (seconds: number | undefined) => (seconds === undefined ? 'absent' : `${seconds} s`);

function render(opts: Options, rows: Row[]): string {
  const s = opts.scenario;
  const lines = [
    `Scenario: ${s.nodes} nodes for ${s.hours} h; per node ${s.registries} registries × ${s.serviceAccounts} service accounts, ${s.podStartsPerNodePerHour} pod starts per hour (Poisson; each pod runs under one service account, pulls one image from each registry, a repository out of ${s.imagesPerRegistry}, and lives ${s.podLifetimeMinutes} min on average with its own 1 h token), ${s.kubeletRestartsPerNodePerDay} kubelet restart(s) per node per day (the cache is lost), every node booting at t = 0 with an empty cache; kubelet config tokenAttributes.cacheType ServiceAccount; seed ${s.seed}. All registries of a cloud in one account and region (the quota's worst case).`,
    '',
    '### Plugin execs and token-service calls',
    '',
    '| cloud | provider | setting | hint (cacheKeyType, cacheDuration) | credential life | lookups / node / day | execs / node / day | execs / s across the pool | fewer execs than upstream | token-service calls / s across the pool | busiest minute after the first hour, calls / s | first minute (pool boot), calls / s | credential outlives its pod (mean, p95) |',
    '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const upstream = rows.find((r) => r.cloud === row.cloud && r.kind === 'upstream');
    const fewer =
      upstream && row.kind !== 'upstream' ? `${(upstream.result.execs / row.result.execs).toFixed(1)}×` : '—';
    const calls = (rates: Record<string, number>) =>
      SERVICES[row.cloud]
        .filter((service) => rates[service.server] !== undefined)
        .map((service) => `${service.label} ${perS(rates[service.server])}`)
        .join('; ');
    const r = row.result;
    lines.push(
      `| ${row.cloud} | ${row.behaviour.name} | ${row.setting} | ${row.behaviour.hint.cacheKeyType}, ${duration(row.behaviour.hint.cacheDurationSeconds)} | ${hours(row.behaviour.credentialLifeSeconds)} | ${(r.lookups / s.nodes / (s.hours / 24)).toFixed(0)} | ${r.execsPerNodePerDay.toFixed(0)} | ${r.execsPerSecond.toFixed(1)} | ${fewer} | ${calls(r.callsPerSecond)} | ${calls(r.busiestMinuteCallsPerSecond)} | ${calls(r.coldStartMinuteCallsPerSecond)} | ${hours(r.outlivesPodSeconds.mean)}, ${hours(r.outlivesPodSeconds.p95)} |`,
    );
  }
  lines.push(
    '',
    '### Quotas',
    '',
    '| cloud | service | quota | source |',
    '| --- | --- | --- | --- |',
    ...(Object.entries(SERVICES) as Array<[Cloud, Service[]]>).flatMap(([cloud, services]) =>
      services.map(
        (service) =>
          `| ${cloud} | ${service.label} | ${service.quotaPerSecond === undefined ? 'none published' : `${service.quotaPerSecond}/s`} | ${service.quotaSource} |`,
      ),
    ),
  );
  for (const [cloud, services] of Object.entries(SERVICES) as Array<[Cloud, Service[]]>) {
    for (const service of services.filter((candidate) => candidate.quotaPerSecond !== undefined)) {
      const quota = service.quotaPerSecond as number;
      const at = (rate: number) => poolSizeAtQuota(quota, rate, s.nodes).toLocaleString('en-US');
      lines.push(
        '',
        `### Pool size at which ${service.label} reaches ${quota}/s`,
        '',
        `| provider | setting | calls / s at ${s.nodes.toLocaleString('en-US')} nodes | pool size at which the daily average reaches the quota |`,
        '| --- | --- | ---: | ---: |',
        ...rows
          .filter((row) => row.cloud === cloud)
          .map((row) => {
            const rate = row.result.callsPerSecond[service.server] ?? 0;
            return `| ${row.behaviour.name} | ${row.setting} | ${perS(rate)} | ${at(rate)} |`;
          }),
      );
    }
  }
  lines.push('', '### The sampled hints (real binaries against the fakes)', '');
  for (const row of rows.filter((r) => r.samples)) {
    const hints = (row.samples ?? []).map(
      (sample) =>
        `${sample.cacheKeyType} ${duration(sample.cacheDurationSeconds)} (${Object.entries(sample.calls)
          .map(([server, n]) => `${server} ×${n}`)
          .join(', ')})`,
    );
    lines.push(`- ${row.behaviour.name}, ${row.setting}: ${hints.join('; ')}`);
  }
  lines.push('', '![Plugin execs per second across the pool](fleet.svg)');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const opts = options();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  const rows: Row[] = [];
  const upstream = upstreamBehaviours();
  const credkit = await credkitRows(opts, log);
  for (const cloud of ['ecr', 'acr', 'gar'] as const) {
    for (const behaviour of upstream[cloud]) {
      log(`simulating ${behaviour.name}`);
      rows.push({
        cloud,
        kind: 'upstream',
        setting: 'as shipped',
        behaviour,
        result: simulateFleet(opts.scenario, behaviour),
      });
    }
    rows.push(...credkit.filter((row) => row.cloud === cloud));
  }
  const bars: Bar[] = rows.map((row) => ({
    group: row.cloud.toUpperCase(),
    label:
      row.setting === 'default' || row.kind === 'upstream'
        ? row.behaviour.name
        : `${row.behaviour.name}, ${row.setting}`,
    value: row.result.execsPerSecond,
    kind: row.kind,
  }));
  const svg = barChart(
    `Plugin execs per second across ${opts.scenario.nodes.toLocaleString('en-US')} nodes (${opts.scenario.hours} h simulated)`,
    'kubelet cache rules, hints sampled from the real binaries; upstream hints from research/*.md',
    bars,
  );
  const markdown = `${render(opts, rows)}\n\nThe simulation took ${((Date.now() - started) / 1000).toFixed(0)} s.`;
  process.stdout.write(`${markdown}\n`);
  if (opts.write) {
    writeFileSync(join(ROOT, 'bench', 'fleet.svg'), svg);
    writeResults(
      markdown,
      '<!-- fleet:begin (generated by npm run bench:fleet; edit outside these markers) -->',
      '<!-- fleet:end -->',
    );
  }
}

await main();

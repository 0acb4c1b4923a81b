/**
 * `npm run demo`: the main job on an embedded default. Builds the three host binaries (when stale),
 * puts fake AWS, Azure and Google Cloud behind their real hostnames on loopback (test CA, CONNECT
 * proxy, a fake service account issuer), then runs each binary exactly as the kubelet would: once
 * with the node's identity and once for each of two service accounts. Prints what the kubelet would
 * do with every answer; passwords appear only as fingerprints.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAzure } from '../adapters/acr/fake/index.ts';
import { startFakeAws } from '../adapters/ecr/fake/index.ts';
import { principalFor, startFakeGoogleCloud } from '../adapters/gar/fake/index.ts';
import { hostTarget } from '../cli/build/targets.ts';
import { summary } from '../cli/invoke.ts';
import { type FakeWorld, type KubeletResult, runLikeKubelet, startFakeWorld } from '../core/testing/index.ts';
import { binaryPath } from './binaries.ts';
import { buildBinaries } from './build-binaries.ts';

interface Scenario {
  cloud: 'ecr' | 'acr' | 'gar';
  mode: string;
  image: string;
  args?: string[];
  token?: { namespace: string; name: string; audience: string };
  annotations?: Record<string, string>;
}

const TENANT = '3b5a6d8e-0000-4000-8000-00000000aaaa';
const APP = { a: 'a0a0a0a0-0000-4000-8000-00000000000a', b: 'b0b0b0b0-0000-4000-8000-00000000000b' };
const KUBELET_IDENTITY = '9a1c0f3e-0000-4000-8000-000000000001';
const WIF = '//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/k8s/providers/cluster';

/**
 * Each cloud gets its own world: all three metadata services live at 169.254.169.254, as on real
 * nodes, and a node belongs to one cloud.
 */
const FAKE_CLOUDS: Record<Scenario['cloud'], (world: FakeWorld) => Promise<unknown>> = {
  ecr: (world) =>
    startFakeAws(world, {
      roles: {
        'arn:aws:iam::123456789012:role/team-a-puller': { subjects: ['system:serviceaccount:team-a:puller'] },
        'arn:aws:iam::123456789012:role/team-b-puller': { subjects: ['system:serviceaccount:team-b:puller'] },
      },
    }),
  acr: (world) => {
    const federated = (clientId: string, ns: string) => ({
      tenantId: TENANT,
      clientId,
      issuer: world.issuer.issuer,
      subject: `system:serviceaccount:${ns}:puller`,
    });
    return startFakeAzure(world, {
      registries: [{ loginServer: 'demo.azurecr.io', pullers: [APP.a, APP.b, KUBELET_IDENTITY] }],
      federatedCredentials: [federated(APP.a, 'team-a'), federated(APP.b, 'team-b')],
      managedIdentities: [
        {
          clientId: KUBELET_IDENTITY,
          tenantId: TENANT,
          resourceId:
            '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kubelet',
        },
      ],
    });
  },
  gar: (world) =>
    startFakeGoogleCloud(world, {
      nodeServiceAccount: '1234-compute@developer.gserviceaccount.com',
      registryHosts: ['us-docker.pkg.dev'],
      pools: [{ stsAudience: WIF, tokenAudience: `https:${WIF}` }],
      serviceAccounts: {
        'puller@demo.iam.gserviceaccount.com': [principalFor(WIF, 'system:serviceaccount:team-b:puller')],
      },
    }),
};

function writeAzureJson(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'credkit-demo-')), 'azure.json');
  const config = {
    cloud: 'AzurePublicCloud',
    tenantId: TENANT,
    useManagedIdentityExtension: true,
    userAssignedIdentityID: KUBELET_IDENTITY,
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

function scenarios(azureJson: string): Scenario[] {
  const ecrImage = '123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app';
  const role = (team: string) => ({
    'eks.amazonaws.com/ecr-role-arn': `arn:aws:iam::123456789012:role/${team}-puller`,
  });
  const acr = (clientId: string) => ({
    'kubernetes.azure.com/acr-client-id': clientId,
    'kubernetes.azure.com/acr-tenant-id': TENANT,
  });
  const sa = (namespace: string, audience: string) => ({ namespace, name: 'puller', audience });
  const garArgs = ['get-credentials', `--sts-audience=${WIF}`];
  return [
    { cloud: 'ecr', mode: 'node (IMDSv2)', image: ecrImage },
    { cloud: 'ecr', mode: 'not an ECR image', image: 'docker.io/library/nginx' },
    {
      cloud: 'ecr',
      mode: 'team-a → STS → ECR',
      image: ecrImage,
      token: sa('team-a', 'sts.amazonaws.com'),
      annotations: role('team-a'),
    },
    {
      cloud: 'ecr',
      mode: 'team-b → STS → ECR',
      image: ecrImage,
      token: sa('team-b', 'sts.amazonaws.com'),
      annotations: role('team-b'),
    },
    { cloud: 'acr', mode: 'node (managed identity)', image: 'demo.azurecr.io/team/app', args: [azureJson] },
    {
      cloud: 'acr',
      mode: 'team-a → Entra → ACR',
      image: 'demo.azurecr.io/team/app',
      args: [azureJson],
      token: sa('team-a', 'api://AzureADTokenExchange'),
      annotations: acr(APP.a),
    },
    {
      cloud: 'acr',
      mode: 'team-b → Entra → ACR',
      image: 'demo.azurecr.io/team/app',
      args: [azureJson],
      token: sa('team-b', 'api://AzureADTokenExchange'),
      annotations: acr(APP.b),
    },
    {
      cloud: 'gar',
      mode: 'node (metadata server)',
      image: 'us-docker.pkg.dev/demo/repo/app',
      args: ['get-credentials'],
    },
    {
      cloud: 'gar',
      mode: 'team-a → STS',
      image: 'us-docker.pkg.dev/demo/repo/app',
      args: garArgs,
      token: sa('team-a', `https:${WIF}`),
    },
    {
      cloud: 'gar',
      mode: 'team-b → STS → IAM',
      image: 'us-docker.pkg.dev/demo/repo/app',
      args: garArgs,
      token: sa('team-b', `https:${WIF}`),
      annotations: { 'iam.gke.io/gcp-service-account': 'puller@demo.iam.gserviceaccount.com' },
    },
  ];
}

async function run(world: FakeWorld, scenario: Scenario): Promise<KubeletResult> {
  const token = scenario.token
    ? await world.issuer.mint({ ...scenario.token, serviceAccount: scenario.token.name })
    : undefined;
  return runLikeKubelet({
    command: [binaryPath(`credkit-${scenario.cloud}`), ...(scenario.args ?? [])],
    inheritedEnv: { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'credkit-home-')) },
    env: world.env,
    image: scenario.image,
    ...(token
      ? {
          serviceAccountToken: token,
          serviceAccountAnnotations: scenario.annotations ?? {},
          cacheType: 'ServiceAccount' as const,
        }
      : {}),
  });
}

function row(scenario: Scenario, result: KubeletResult): string {
  const s = summary(result);
  const credential = s.auth[0] ? `${s.auth[0].username.slice(0, 36)} ${s.auth[0].password}` : 'no credentials';
  const verdict = s.valid ? `ok, cache ${s.cacheSeconds}s` : `REJECTED: ${[...s.reasons, ...s.stderr].join(' | ')}`;
  return `${`credkit-${scenario.cloud}`.padEnd(12)} ${scenario.mode.padEnd(24)} ${String(s.durationMs).padStart(5)} ms  ${verdict.padEnd(22)} ${credential}`;
}

async function main(): Promise<number> {
  const host = hostTarget();
  if (!host) throw new Error('no host build target for this platform');
  process.stdout.write('building credkit-ecr, credkit-acr, credkit-gar (when stale)...\n');
  const built = await buildBinaries({ targets: [host], ifStale: true });
  if (built.failed.length > 0) throw new Error(`build failed: ${built.failed.map((f) => f.name).join(', ')}`);

  const all = scenarios(writeAzureJson());
  let failures = 0;
  for (const cloud of ['ecr', 'acr', 'gar'] as const) {
    const world = await startFakeWorld();
    try {
      await FAKE_CLOUDS[cloud](world);
      process.stdout.write(`\nfake ${cloud} cloud on loopback behind the CONNECT proxy ${world.proxy.url}\n`);
      for (const scenario of all.filter((s) => s.cloud === cloud)) {
        const result = await run(world, scenario);
        if (!result.verdict.valid) failures++;
        process.stdout.write(`${row(scenario, result)}\n`);
      }
    } finally {
      await world.close();
    }
  }
  process.stdout.write(
    `\n${failures === 0 ? 'every answer is one the kubelet would use' : `${failures} answer(s) the kubelet would reject`}\n`,
  );
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main().catch((error: Error) => {
  process.stderr.write(`demo: ${error.message}\n`);
  return 1;
});

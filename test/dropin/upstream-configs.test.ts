/**
 * The kubelet configs the clouds ship (test/fixtures/upstream-configs/, each quoting its source),
 * run unchanged through the compiled credkit binaries as the kubelet runs them: the entry's name
 * picks the drop-in binary, its args, env, matchImages, apiVersion, defaultCacheDuration and
 * tokenAttributes apply, and each pull must give what the kubelet would use (or, for images the
 * config does not match, no exec at all), from the identity upstream would use.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeRequest, FakeWorld } from '../../core/testing/index.ts';
import {
  CUSTOM_CLOUD_REGISTRY,
  IB_APP,
  IB_SNI,
  KUBELET_IDENTITY,
  REGISTRY,
  startAcrWorld,
  TENANT,
} from '../adapters/acr/world.ts';
import { startEcrWorld } from '../adapters/ecr/world.ts';
import { ENABLE, PULLER_GSA, startGarWorld } from '../adapters/gar/world.ts';
import { ROOT } from '../support/commands.ts';
import { dropInFor, type Node, type Pod, providerEntry, pull, readFixture } from './configured.ts';

const FIXTURES = join(ROOT, 'test/fixtures/upstream-configs');
const ACCOUNT = '123456789012';

interface Pull {
  image: string;
  pod?: Pod;
  /** The kubelet does not exec the plugin: matchImages does not cover the image. */
  skipped?: true;
  /** The exit code, when not 0 (the kubelet then pulls without credentials). */
  exitCode?: number;
  /** The auth key the kubelet uses for the image; `null`: a valid answer without credentials. */
  key?: string | null;
  /** Fake endpoints that must (`name`) or must not (`!name`) have been called, as `endpoint@host`. */
  calls?: string[];
}

interface Fixture {
  file: string;
  /** The provisioning script's variables the file leaves in. */
  vars?: Record<string, string>;
  /** What the node's kubelet has in its environment beyond the fake world's proxy and CA (`<dir>`: the node's files). */
  kubeletEnv?: Record<string, string>;
  /** Arguments this test's node layout needs after the config's (where a file is kept). */
  nodeArgs?: string[];
  /** AgentBaker variables of this node's azure.json that differ from AKS_AZURE_JSON. */
  azureJson?: Record<string, string>;
  pulls: Pull[];
}

const ecrHost = (region: string, suffix = 'amazonaws.com') => `${ACCOUNT}.dkr.ecr.${region}.${suffix}`;
const EKS_PULLS: Pull[] = [
  {
    image: `${ecrHost('us-west-2')}/team-a/app:1`,
    key: ecrHost('us-west-2'),
    calls: ['credentials@169.254.169.254', 'GetAuthorizationToken@api.ecr.us-west-2.amazonaws.com'],
  },
  {
    image: `${ecrHost('eu-west-1')}/team-a/app@sha256:${'a'.repeat(64)}`,
    key: ecrHost('eu-west-1'),
    calls: ['GetAuthorizationToken@api.ecr.eu-west-1.amazonaws.com'],
  },
  {
    image: `${ecrHost('cn-north-1', 'amazonaws.com.cn')}/team-a/app`,
    key: ecrHost('cn-north-1', 'amazonaws.com.cn'),
    calls: ['GetAuthorizationToken@api.ecr.cn-north-1.amazonaws.com.cn'],
  },
  {
    image: `${ecrHost('us-gov-west-1')}/team-a/app`,
    key: ecrHost('us-gov-west-1'),
    calls: ['GetAuthorizationToken@api.ecr.us-gov-west-1.amazonaws.com'],
  },
  {
    image: 'public.ecr.aws/eks-distro/kubernetes/pause:3.10',
    key: 'public.ecr.aws',
    calls: ['GetAuthorizationToken@api.ecr-public.us-east-1.amazonaws.com'],
  },
  { image: 'registry.k8s.io/pause:3.10', skipped: true },
  { image: 'docker.io/library/busybox:1.36', skipped: true },
  { image: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com.example.com/app`, skipped: true },
];

/** What AgentBaker fills in for a managed-identity cluster (cse_cmd.sh's variables). */
const AKS_AZURE_JSON = {
  TARGET_CLOUD: 'AzurePublicCloud',
  TENANT_ID: TENANT,
  SUBSCRIPTION_ID: '00000000-0000-4000-8000-000000000000',
  SERVICE_PRINCIPAL_CLIENT_ID: 'msi',
  SERVICE_PRINCIPAL_CLIENT_SECRET: 'msi',
  RESOURCE_GROUP: 'MC_rg_cluster_eastus',
  LOCATION: 'eastus',
  VM_TYPE: 'vmss',
  SUBNET: 'aks-subnet',
  NETWORK_SECURITY_GROUP: 'aks-agentpool-nsg',
  VIRTUAL_NETWORK: 'aks-vnet',
  VIRTUAL_NETWORK_RESOURCE_GROUP: '',
  ROUTE_TABLE: 'aks-agentpool-routetable',
  PRIMARY_AVAILABILITY_SET: '',
  PRIMARY_SCALE_SET: 'aks-nodepool1-vmss',
  CLOUDPROVIDER_BACKOFF_MODE: 'v2',
  CLOUDPROVIDER_BACKOFF: 'true',
  CLOUDPROVIDER_BACKOFF_RETRIES: '6',
  CLOUDPROVIDER_BACKOFF_EXPONENT: '0',
  CLOUDPROVIDER_BACKOFF_DURATION: '5',
  CLOUDPROVIDER_BACKOFF_JITTER: '0',
  CLOUDPROVIDER_RATELIMIT: 'true',
  CLOUDPROVIDER_RATELIMIT_QPS: '10',
  CLOUDPROVIDER_RATELIMIT_BUCKET: '100',
  CLOUDPROVIDER_RATELIMIT_QPS_WRITE: '10',
  CLOUDPROVIDER_RATELIMIT_BUCKET_WRITE: '100',
  USE_MANAGED_IDENTITY_EXTENSION: 'true',
  USER_ASSIGNED_IDENTITY_ID: KUBELET_IDENTITY,
  USE_INSTANCE_METADATA: 'true',
  LOAD_BALANCER_SKU: 'Standard',
  LOAD_BALANCER_DISABLE_OUTBOUND_SNAT: 'false',
  EXCLUDE_MASTER_FROM_STANDARD_LB: 'true',
  KMS_PROVIDER_VAULT_NAME: '',
  MAXIMUM_LOADBALANCER_RULE_COUNT: '250',
};

const ACR_NODE_CALLS = ['token@169.254.169.254', `exchange@${REGISTRY}`];
const AKS_PULLS: Pull[] = [
  { image: `${REGISTRY}/team/app:1`, key: REGISTRY, calls: ACR_NODE_CALLS },
  {
    image: 'myacr.eastus.geo.azurecr.io/team/app:1',
    key: 'myacr.eastus.geo.azurecr.io',
    calls: ['token@169.254.169.254'],
  },
  { image: 'mcr.microsoft.com/oss/kubernetes/pause:3.9', skipped: true },
  { image: 'docker.io/library/nginx:1.27', skipped: true },
];

const GKE_PULLS: Pull[] = [
  {
    image: 'us-central1-docker.pkg.dev/my-project/my-repo/my-image:1',
    key: 'us-central1-docker.pkg.dev',
    calls: ['metadata.token'],
  },
  { image: 'gcr.io/my-project/app', key: 'gcr.io', calls: ['metadata.token'] },
  { image: 'eu.gcr.io/my-project/app', key: 'eu.gcr.io', calls: ['metadata.token'] },
  { image: 'registry.k8s.io/pause:3.10', skipped: true },
  { image: 'docker.io/library/busybox', skipped: true },
];

const FIXTURE_TABLE: Fixture[] = [
  {
    file: 'eks-al2023.yaml',
    pulls: [...EKS_PULLS, { image: 'ecr-public.aws.com/team/app', key: 'ecr-public.aws.com' }],
  },
  { file: 'eks-al2023-1.31.yaml', pulls: [...EKS_PULLS, { image: 'ecr-public.aws.com/team/app', skipped: true }] },
  { file: 'aks.yaml', pulls: AKS_PULLS },
  {
    file: 'aks-network-isolated.yaml',

    vars: { BOOTSTRAP_PROFILE_CONTAINER_REGISTRY_SERVER: REGISTRY },
    pulls: [
      ...AKS_PULLS.filter((p) => !p.image.startsWith('mcr.')),
      { image: 'mcr.microsoft.com/oss/kubernetes/pause:3.9', key: 'mcr.microsoft.com', calls: ACR_NODE_CALLS },
    ],
  },
  {
    file: 'aks-identity-binding.yaml',
    vars: {
      IDENTITY_BINDINGS_LOCAL_AUTHORITY_SNI: IB_SNI,
      SERVICE_ACCOUNT_IMAGE_PULL_DEFAULT_CLIENT_ID: IB_APP,
      SERVICE_ACCOUNT_IMAGE_PULL_DEFAULT_TENANT_ID: TENANT,
      API_SERVER_NAME: '<ib-apiserver>',
    },
    // The cluster CA is not at /etc/kubernetes/certs/ca.crt on the test's node: credkit's --ib-ca-file says where.
    nodeArgs: ['--ib-ca-file=<ib-ca-file>'],
    pulls: [
      {
        // A bound service account without the annotation: the default client id, through the binding.
        image: `${REGISTRY}/team/app:1`,
        pod: { namespace: 'team', serviceAccount: 'app-a' },
        key: REGISTRY,
        calls: [
          `token@${IB_SNI}`,
          `exchange@${REGISTRY}`,
          '!token@169.254.169.254',
          '!token@login.microsoftonline.com',
        ],
      },
      {
        // The annotation (the one key the config forwards) names the identity itself.
        image: `${REGISTRY}/team/app:1`,
        pod: {
          namespace: 'team',
          serviceAccount: 'app-ib',
          annotations: { 'kubernetes.azure.com/acr-client-id': IB_APP },
        },
        key: REGISTRY,
        calls: [`token@${IB_SNI}`, `exchange@${REGISTRY}`, '!token@169.254.169.254'],
      },
      {
        // Present but empty: an error before any call, as upstream (no fallback to the default).
        image: `${REGISTRY}/team/app:1`,
        pod: { namespace: 'team', serviceAccount: 'app-ib', annotations: { 'kubernetes.azure.com/acr-client-id': '' } },
        exitCode: 2,
      },
      { image: 'docker.io/library/nginx:1.27', pod: { namespace: 'team', serviceAccount: 'app-a' }, skipped: true },
    ],
  },
  {
    file: 'aks-custom-cloud.yaml',
    vars: { AKS_CUSTOM_CLOUD_CONTAINER_REGISTRY_DNS_SUFFIX: '.azurecr.microsoft.fakecloud' },
    azureJson: { TARGET_CLOUD: 'AzureStackCloud' },
    kubeletEnv: { AZURE_ENVIRONMENT_FILEPATH: '<dir>/AzureStackCloud.json' },
    pulls: [
      { image: `${REGISTRY}/team/app:1`, key: REGISTRY, calls: ACR_NODE_CALLS },
      // The environment file's containerRegistryDNSSuffix makes this host one of the cloud's ACRs;
      // its realm is not derivable, so its challenge is asked (and pinned to this host).
      {
        image: `${CUSTOM_CLOUD_REGISTRY}/team/app:1`,
        key: CUSTOM_CLOUD_REGISTRY,
        calls: ['token@169.254.169.254', `challenge@${CUSTOM_CLOUD_REGISTRY}`, `exchange@${CUSTOM_CLOUD_REGISTRY}`],
      },
    ],
  },
  { file: 'gke.yaml', pulls: GKE_PULLS },
  {
    file: 'gke-workload-identity.yaml',

    pulls: [
      {
        image: 'us-central1-docker.pkg.dev/my-project/my-repo/my-image',
        pod: { namespace: 'team', serviceAccount: 'default' },
        key: 'us-central1-docker.pkg.dev',
        calls: ['metadata.token', '!sts.token'],
      },
      {
        image: 'us-central1-docker.pkg.dev/my-project/my-repo/my-image',
        pod: { namespace: 'team', serviceAccount: 'puller', annotations: ENABLE },
        key: 'us-central1-docker.pkg.dev',
        calls: ['sts.token', '!metadata.token'],
      },
      {
        // The kubelet forwards only the configured key, so no impersonation (upstream has none).
        image: 'gcr.io/my-project/app',
        pod: {
          namespace: 'team',
          serviceAccount: 'puller',
          annotations: { ...ENABLE, 'iam.gke.io/gcp-service-account': PULLER_GSA },
        },
        key: 'gcr.io',
        calls: ['sts.token', '!iam.generateAccessToken'],
      },
    ],
  },
];

interface Place {
  world: FakeWorld;
  node: Node;
  close(): Promise<void>;
}

const places: Record<string, Place> = {};
let dir = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'credkit-dropin-'));
  const azureJson = writeAzureJson('aks', {});
  // AgentBaker's custom cloud environment file (/etc/kubernetes/<TARGET_ENVIRONMENT>.json).
  writeFileSync(
    join(dir, 'AzureStackCloud.json'),
    JSON.stringify({
      name: 'AzureStackCloud',
      activeDirectoryEndpoint: 'https://login.microsoftonline.com/',
      resourceManagerEndpoint: 'https://management.azure.com/',
      tokenAudience: 'https://management.azure.com/',
      containerRegistryDNSSuffix: 'azurecr.microsoft.fakecloud',
    }),
  );
  const [ecr, acr, gar] = await Promise.all([
    startEcrWorld({ regions: ['us-west-2', 'eu-west-1', 'cn-north-1', 'us-gov-west-1'] }),
    startAcrWorld(),
    startGarWorld(),
  ]);
  const base = (world: FakeWorld) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...world.env });
  places.ecr = { world: ecr.world, node: { env: base(ecr.world), issuer: ecr.world.issuer }, close: () => ecr.close() };
  places.acr = {
    world: acr.world,
    node: {
      env: base(acr.world),
      issuer: acr.world.issuer,
      substitute: {
        '/etc/kubernetes/azure.json': azureJson,
        '<ib-apiserver>': acr.azure.identityBinding?.address ?? '',
        '<ib-ca-file>': acr.azure.identityBinding?.caFile ?? '',
      },
    },
    close: () => acr.close(),
  };
  places.gar = { world: gar.world, node: { env: base(gar.world), issuer: gar.world.issuer }, close: () => gar.close() };
});
afterAll(async () => {
  await Promise.all(Object.values(places).map((place) => place.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The node's azure.json as AgentBaker writes it, with these variables changed. */
function writeAzureJson(name: string, changes: Record<string, string>): string {
  const path = join(dir, `${name}-azure.json`);
  const text = readFixture(join(FIXTURES, 'aks-azure.json.template'), { ...AKS_AZURE_JSON, ...changes });
  writeFileSync(path, text.replace(/^#.*\n/gm, ''));
  return path;
}

const seen = (requests: FakeRequest[], target: string) =>
  requests.some((r) => [r.endpoint, `${r.endpoint}@${r.host.replace(/\.$/, '')}`].includes(target));

describe.each(FIXTURE_TABLE)('$file', ({ file, vars, kubeletEnv = {}, nodeArgs, azureJson, pulls }) => {
  const entry = providerEntry(readFixture(join(FIXTURES, file), vars), file);
  const cloud = dropInFor(entry.name);

  it.each(pulls)('$image', async ({ image, pod, skipped, exitCode = 0, key, calls = [] }) => {
    const place = places[cloud] as Place;
    for (const server of place.world.servers) server.resetCalls();
    const env = Object.fromEntries(
      Object.entries(kubeletEnv).map(([name, value]) => [name, value.replace('<dir>', dir)]),
    );
    const substitute = {
      ...place.node.substitute,
      ...(azureJson ? { '/etc/kubernetes/azure.json': writeAzureJson(file, azureJson) } : {}),
    };
    const node = {
      ...place.node,
      env: { ...place.node.env, ...env },
      substitute,
      ...(nodeArgs ? { extraArgs: nodeArgs } : {}),
    };
    const result = await pull(entry, node, image, pod);
    if (skipped) {
      expect(result.executed).toBe(false);
      return;
    }
    expect(result.exitCode, result.stderr).toBe(exitCode);
    if (exitCode !== 0) {
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      return;
    }
    expect(result.verdict, result.stderr).toMatchObject({ valid: true });
    if (key === null) {
      expect(result.response?.auth ?? {}).toEqual({});
      return;
    }
    expect(result.verdict.matchingKeys[0]).toBe(key);
    expect(result.response?.auth?.[key ?? '']?.password).toBeTruthy();
    const requests = place.world.servers.flatMap((server) => server.requests);
    for (const call of calls) {
      const names = requests.map((r) => `${r.endpoint}@${r.host}`).join(' ');
      if (call.startsWith('!')) expect(seen(requests, call.slice(1)), names).toBe(false);
      else expect(seen(requests, call), names).toBe(true);
    }
  });
});

it('every fixture is in the table', () => {
  const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.yaml'));
  expect(files.sort()).toEqual(FIXTURE_TABLE.map((fixture) => fixture.file).sort());
});

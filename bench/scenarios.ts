/**
 * The per-cloud settings the benchmark and the binary tests exec the three binaries in: each
 * cloud's fake (adapters/<cloud>/fake.ts) behind a fake world's CONNECT proxy and test CA, with
 * `identities` distinct service accounts, each allowed to pull with its own cloud identity, so a
 * test can tell whose credential an answer carries. One world per cloud: all three clouds' metadata
 * services live at 169.254.169.254.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAzure } from '../adapters/acr/fake/index.ts';
import { startFakeAws } from '../adapters/ecr/fake/index.ts';
import { principalFor, startFakeGoogleCloud } from '../adapters/gar/fake/index.ts';
import type { FakeServer, FakeWorld, KubeletRun } from '../core/testing/index.ts';

export type Cloud = 'ecr' | 'acr' | 'gar';
export const NAMESPACE = 'bench';

/** What varies between clouds; the kubelet run is `runLikeKubelet({ command: [binary, ...args], ...run })`. */
export interface CloudScenario {
  cloud: Cloud;
  /** Each cloud needs a world of its own: ECR, ACR and GAR all serve 169.254.169.254. */
  world: FakeWorld;
  /** The node-identity exec: no token (tokenAttributes not configured). */
  node: ScenarioRun;
  /** The service account exec for identity `index` (0-based). */
  serviceAccount(index: number): Promise<ScenarioRun>;
  /** Who the fake issued `password` to, for "each answer carries its own identity". */
  identityOf(password: string): string | undefined;
  /** Requests the cloud's fakes served so far (round trips). */
  calls(): number;
}

export interface ScenarioRun {
  args: string[];
  run: Omit<KubeletRun, 'command'>;
  /** The identity the answer must be issued to. */
  expected: string;
}

const subject = (index: number) => `system:serviceaccount:${NAMESPACE}:sa-${index}`;
const sumCalls = (servers: FakeServer[]) => () => servers.reduce((sum, server) => sum + server.calls(), 0);
const mint = (world: FakeWorld, index: number, audience: string) =>
  world.issuer.mint({ namespace: NAMESPACE, serviceAccount: `sa-${index}`, audience });

/** The kubelet's environment: nothing from this machine (no ~/.aws, no cloud env), the world's proxy and CA. */
export function kubeletEnv(world: FakeWorld): Record<string, string> {
  return { PATH: '/usr/bin:/bin', HOME: mkdtempSync(join(tmpdir(), 'credkit-home-')), ...world.env };
}

/** `sessionSeconds`: the STS session the fake grants (default STS's 3600), which bounds the ECR token. */
export async function ecrScenario(
  world: FakeWorld,
  identities: number,
  options: { sessionSeconds?: number } = {},
): Promise<CloudScenario> {
  const role = (index: number) => `arn:aws:iam::123456789012:role/puller-${index}`;
  const roles = Object.fromEntries(Array.from({ length: identities }, (_, i) => [role(i), { subjects: [subject(i)] }]));
  const aws = await startFakeAws(world, { roles, ...options });
  const image = `${aws.registryHost()}/team/app:1`;
  const inheritedEnv = kubeletEnv(world);
  return {
    cloud: 'ecr',
    world,
    // Node identity from IMDS (the instance profile eks-node), reached through the proxy like every call.
    node: { args: [], run: { image, inheritedEnv }, expected: 'eks-node' },
    serviceAccount: async (index) => ({
      args: [],
      run: {
        image,
        inheritedEnv,
        serviceAccountToken: await mint(world, index, 'sts.amazonaws.com'),
        serviceAccountAnnotations: { 'eks.amazonaws.com/ecr-role-arn': role(index) },
        cacheType: 'ServiceAccount',
      },
      expected: `puller-${index}`,
    }),
    identityOf: (password) => aws.principalOf(password),
    calls: sumCalls([aws.sts, aws.ecr, aws.ecrPublic, aws.imds]),
  };
}

export async function acrScenario(world: FakeWorld, identities: number): Promise<CloudScenario> {
  const tenantId = '3b5a6d8e-0000-4000-8000-00000000aaaa';
  const kubelet = '9a1c0f3e-0000-4000-8000-000000000001';
  const client = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
  const clients = Array.from({ length: identities }, (_, i) => client(i));
  const loginServer = 'benchacr.azurecr.io';
  const azure = await startFakeAzure(world, {
    registries: [{ loginServer, pullers: [kubelet, ...clients] }],
    federatedCredentials: clients.map((clientId, i) => ({
      tenantId,
      clientId,
      issuer: world.issuer.issuer,
      subject: subject(i),
    })),
    managedIdentities: [{ clientId: kubelet, tenantId }],
  });
  const config = join(mkdtempSync(join(tmpdir(), 'credkit-acr-')), 'azure.json');
  writeFileSync(
    config,
    JSON.stringify({
      cloud: 'AzurePublicCloud',
      tenantId,
      useManagedIdentityExtension: true,
      userAssignedIdentityID: kubelet,
    }),
  );
  const image = `${loginServer}/team/app:1`;
  const inheritedEnv = kubeletEnv(world);
  const registry = azure.registry(loginServer);
  return {
    cloud: 'acr',
    world,
    node: { args: [config], run: { image, inheritedEnv }, expected: kubelet },
    serviceAccount: async (index) => ({
      args: [config],
      run: {
        image,
        inheritedEnv,
        serviceAccountToken: await mint(world, index, 'api://AzureADTokenExchange'),
        serviceAccountAnnotations: {
          'kubernetes.azure.com/acr-client-id': client(index),
          'kubernetes.azure.com/acr-tenant-id': tenantId,
        },
        cacheType: 'ServiceAccount',
      },
      expected: client(index),
    }),
    identityOf: (password) => registry.issued.find((token) => token.refreshToken === password)?.clientId,
    calls: () => azure.totalCalls(),
  };
}

export async function garScenario(world: FakeWorld, _identities: number): Promise<CloudScenario> {
  const cp = 'https://container.googleapis.com/v1/projects/my-project/locations/us-central1/clusters/my-cluster';
  const stsAudience = `identitynamespace:my-project.svc.id.goog:${cp}`;
  const nodeAccount = '1234-compute@developer.gserviceaccount.com';
  const cloud = await startFakeGoogleCloud(world, {
    nodeServiceAccount: nodeAccount,
    registryHosts: ['us-central1-docker.pkg.dev'],
    pools: [{ stsAudience, tokenAudience: 'my-project.svc.id.goog' }],
  });
  const image = 'us-central1-docker.pkg.dev/my-project/my-repo/app:1';
  const inheritedEnv = kubeletEnv(world);
  // GKE's direct access: the federated principal itself pulls (no service account impersonation).
  const args = ['get-credentials', `--identity-provider=${cp}`, '--project-id=my-project'];
  return {
    cloud: 'gar',
    world,
    node: { args: ['get-credentials'], run: { image, inheritedEnv }, expected: nodeAccount },
    serviceAccount: async (index) => ({
      args,
      run: {
        image,
        inheritedEnv,
        serviceAccountToken: await mint(world, index, 'my-project.svc.id.goog'),
        serviceAccountAnnotations: { 'iam.gke.io/enable-wi-image-pull': 'true' },
        cacheType: 'ServiceAccount',
      },
      expected: principalFor(stsAudience, subject(index)),
    }),
    identityOf: (password) => cloud.issued.find((token) => token.token === password)?.identity,
    calls: sumCalls([cloud.metadata, cloud.sts, cloud.iamCredentials]),
  };
}

export const SCENARIOS: Record<Cloud, (world: FakeWorld, identities: number) => Promise<CloudScenario>> = {
  ecr: ecrScenario,
  acr: acrScenario,
  gar: garScenario,
};

/**
 * Whether the answer's password was issued to the expected identity. ECR's fake names principals
 * `instance-role:<name>` or `assumed-role:<role arn>`, so the role name ends them.
 */
export function carriesIdentity(scenario: CloudScenario, password: string | undefined, expected: string): boolean {
  const identity = password === undefined ? undefined : scenario.identityOf(password);
  if (identity === undefined) return false;
  if (scenario.cloud !== 'ecr') return identity === expected;
  return identity.endsWith(`:${expected}`) || identity.endsWith(`/${expected}`);
}

/**
 * The fake Google Cloud these tests share: a fake world (CA, issuer, CONNECT proxy) with the
 * metadata server, STS, IAM Credentials and registries behind real hostnames, plus an in-process
 * runner for fast table tests (the e2e file runs the binary instead).
 */

import { type FakeGoogleCloud, principalFor, startFakeGoogleCloud } from '../../../adapters/gar/fake/index.ts';
import { provider } from '../../../adapters/gar/index.ts';
import { encodeRequest } from '../../../core/index.ts';
import { type FakeWorld, startFakeWorld } from '../../../core/testing/index.ts';
import { runInProcess } from '../../support/in-process.ts';

export const CP = 'https://container.googleapis.com/v1/projects/my-project/locations/us-central1/clusters/my-cluster';
export const GKE_AUDIENCE = `identitynamespace:my-project.svc.id.goog:${CP}`;
export const CUSTOM_AUDIENCE = 'identitynamespace:my-project.svc.id.goog:https://custom-provider.com';
export const PRECONFIGURED_AUDIENCE = `identitynamespace:pre-configured-project.svc.id.goog:${CP}`;
export const WIF_STS_AUDIENCE =
  '//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/k8s/providers/cluster';
export const WIF_TOKEN_AUDIENCE = `https:${WIF_STS_AUDIENCE}`;
export const PULLER_GSA = 'puller@my-project.iam.gserviceaccount.com';
export const NODE_SA = '1234-compute@developer.gserviceaccount.com';
export const IMAGE = 'us-central1-docker.pkg.dev/my-project/my-repo/my-image';
export const ENABLE = { 'iam.gke.io/enable-wi-image-pull': 'true' };
export const ROOT_DIR = new URL('../../../', import.meta.url).pathname;

/*
 * What an administrator put on the node's instance for the dockercfg flows: a JSON key login for
 * Artifact Registry (keyed with a scheme, as `docker login` writes it) and a robot on another registry.
 */
export const OTHER_REGISTRY = 'registry.example.com';
export const KEY_LOGIN = {
  username: '_json_key',
  password: JSON.stringify({ type: 'service_account', client_email: 'dockercfg@my-project.iam.gserviceaccount.com' }),
  identity: 'dockercfg@my-project.iam.gserviceaccount.com',
};
export const ROBOT_LOGIN = { username: 'robot$puller', password: 'robot-secret-0123456789', identity: 'robot$puller' };
export const NODE_DOCKERCFG = {
  'https://us-central1-docker.pkg.dev': {
    email: 'not-used@example.com',
    auth: Buffer.from(`${KEY_LOGIN.username}:${KEY_LOGIN.password}`).toString('base64'),
  },
  [OTHER_REGISTRY]: { username: ROBOT_LOGIN.username, password: ROBOT_LOGIN.password },
};
export const DOCKERCFG_OBJECT = '/node-config/dockercfg.json';

export interface GarWorld {
  world: FakeWorld;
  cloud: FakeGoogleCloud;
  close(): Promise<void>;
}

export async function startGarWorld(): Promise<GarWorld> {
  const world = await startFakeWorld();
  const puller = 'system:serviceaccount:team:puller';
  const cloud = await startFakeGoogleCloud(world, {
    nodeServiceAccount: NODE_SA,
    registryHosts: ['us-central1-docker.pkg.dev', 'us-docker.pkg.dev', 'gcr.io', 'eu.gcr.io', OTHER_REGISTRY],
    registryLogins: [KEY_LOGIN, ROBOT_LOGIN],
    attributes: { 'google-dockercfg': JSON.stringify(NODE_DOCKERCFG) },
    storageObjects: { [DOCKERCFG_OBJECT]: JSON.stringify(NODE_DOCKERCFG) },
    pools: [
      { stsAudience: GKE_AUDIENCE, tokenAudience: 'my-project.svc.id.goog' },
      { stsAudience: CUSTOM_AUDIENCE, tokenAudience: 'my-project.svc.id.goog' },
      { stsAudience: PRECONFIGURED_AUDIENCE, tokenAudience: 'pre-configured-project.svc.id.goog' },
      { stsAudience: WIF_STS_AUDIENCE, tokenAudience: WIF_TOKEN_AUDIENCE },
    ],
    serviceAccounts: {
      [PULLER_GSA]: [principalFor(WIF_STS_AUDIENCE, puller), principalFor(GKE_AUDIENCE, puller)],
    },
  });
  cloud.attributes['google-dockercfg-url'] = cloud.storage.signedUrl(DOCKERCFG_OBJECT, 24 * 3600);
  return { world, cloud, close: () => world.close() };
}

export interface GarRun {
  code: number;
  stdout: string;
  stderr: string;
  response?: {
    cacheKeyType: string;
    cacheDuration?: string;
    auth?: Record<string, { username: string; password: string }>;
  };
}

/** One exec of credkit-gar in this process, with the world's proxy and CA in its env. */
export async function runGar(
  g: GarWorld,
  input: {
    args?: string[];
    image?: string;
    token?: string;
    annotations?: Record<string, string>;
    env?: Record<string, string>;
  },
): Promise<GarRun> {
  const request = encodeRequest({
    apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
    image: input.image ?? IMAGE,
    ...(input.token ? { serviceAccountToken: input.token } : {}),
    ...(input.annotations ? { serviceAccountAnnotations: input.annotations } : {}),
  });
  const { code, stdout, stderr } = await runInProcess(provider, {
    argv: input.args ?? ['get-credentials'],
    env: { ...g.world.env, ...input.env },
    request: request,
  });
  return { code, stdout, stderr, ...(stdout ? { response: JSON.parse(stdout) } : {}) };
}

/** All calls the fake cloud saw, by endpoint. */
export function callCounts(cloud: FakeGoogleCloud): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const server of [cloud.metadata, cloud.sts, cloud.iamCredentials, cloud.registry, cloud.storage]) {
    for (const req of server.requests) counts[req.endpoint ?? '?'] = (counts[req.endpoint ?? '?'] ?? 0) + 1;
  }
  return counts;
}

export function resetCloud(cloud: FakeGoogleCloud): void {
  for (const server of [cloud.metadata, cloud.sts, cloud.iamCredentials, cloud.registry, cloud.storage]) {
    server.resetCalls();
    server.faults.clear();
  }
}

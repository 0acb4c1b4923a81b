/**
 * The fake Quay these tests share: a fake world (CA, issuer, CONNECT proxy) with quay.io and one
 * self-hosted Red Hat Quay behind their real host names, each with its own robots, plus an
 * in-process runner for the fast table tests (the e2e file runs the binary instead).
 */
import { type FakeQuay, startFakeQuay } from '../../../adapters/quay/fake/index.ts';
import { provider } from '../../../adapters/quay/index.ts';
import { encodeRequest } from '../../../core/index.ts';
import { type FakeWorld, startFakeWorld } from '../../../core/testing/index.ts';
import { runInProcess } from '../../support/in-process.ts';

export const SELF_HOSTED = 'quay.example.com';
export const PULLER = 'acme+puller';
export const BUILDER = 'acme+builder';
/** Federated with the audience check newer Quay can make. */
export const STRICT = 'acme+strict';
/** A robot with no federation config. */
export const LEGACY = 'acme+legacy';
export const CI = 'platform+ci';
export const APP_SUBJECT = 'system:serviceaccount:team:app';
export const BUILDER_SUBJECT = 'system:serviceaccount:team:builder';
export const IMAGE = 'quay.io/acme/app';

export interface QuayWorld {
  world: FakeWorld;
  quay: FakeQuay;
  selfHosted: FakeQuay;
  mint(serviceAccount?: string, options?: { audience?: string; expiresInSeconds?: number }): Promise<string>;
  reset(): void;
  close(): Promise<void>;
}

export async function startQuayWorld(): Promise<QuayWorld> {
  const world = await startFakeWorld();
  const issuer = world.issuer.issuer;
  const quay = await startFakeQuay(world, {
    robots: [
      { name: PULLER, federation: [{ issuer, subject: APP_SUBJECT }] },
      {
        name: BUILDER,
        federation: [
          { issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:acme/app:ref:refs/heads/main' },
          { issuer, subject: BUILDER_SUBJECT },
        ],
      },
      { name: STRICT, federation: [{ issuer, subject: APP_SUBJECT, audiences: ['quay.io'] }] },
      { name: LEGACY, federation: [] },
    ],
  });
  const selfHosted = await startFakeQuay(world, {
    hosts: [SELF_HOSTED],
    robots: [{ name: CI, federation: [{ issuer, subject: APP_SUBJECT }] }],
  });
  return {
    world,
    quay,
    selfHosted,
    mint: (serviceAccount = 'app', options = {}) =>
      world.issuer.mint({
        audience: options.audience ?? 'quay.io',
        namespace: 'team',
        serviceAccount,
        ...(options.expiresInSeconds !== undefined ? { expiresInSeconds: options.expiresInSeconds } : {}),
      }),
    reset: () => {
      for (const server of [quay.server, selfHosted.server]) {
        server.resetCalls();
        server.faults.clear();
      }
    },
    close: () => world.close(),
  };
}

export interface QuayRun {
  code: number;
  stdout: string;
  stderr: string;
  response?: {
    cacheKeyType: string;
    cacheDuration?: string;
    auth?: Record<string, { username: string; password: string }>;
  };
}

/** One exec of credkit-quay in this process, with the world's proxy and CA in its env. */
export async function runQuay(
  q: QuayWorld,
  input: { args?: string[]; image?: string; token?: string; annotations?: Record<string, string> },
): Promise<QuayRun> {
  const request = encodeRequest({
    apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
    image: input.image ?? IMAGE,
    ...(input.token ? { serviceAccountToken: input.token } : {}),
    ...(input.annotations ? { serviceAccountAnnotations: input.annotations } : {}),
  });
  const { code, stdout, stderr } = await runInProcess(provider, {
    argv: input.args ?? [],
    env: q.world.env,
    request: request,
  });
  return { code, stdout, stderr, ...(stdout ? { response: JSON.parse(stdout) } : {}) };
}

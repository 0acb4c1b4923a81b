/**
 * A fake Quay (quay.io or a self-hosted Red Hat Quay) for tests, behind a fake world's proxy at its
 * real hostname: the robot federation endpoint and the registry, one server as in Quay. Strict where
 * Quay is (fake/federation.ts, fake/registry.ts): the pod's token is verified against the issuer's
 * keys and the robot's federation config, and the registry opens only for robot tokens this fake
 * issued. Endpoints are labelled `federation.token`, `registry.auth`, `registry.v2`,
 * `registry.manifest`, ... for call counts and faults.
 *
 *   const world = await startFakeWorld();
 *   const quay = await startFakeQuay(world, {
 *     robots: [{ name: 'acme+puller', federation: [{ issuer: world.issuer.issuer,
 *       subject: 'system:serviceaccount:team:app' }] }],
 *   });
 */
import type { FakeIssuer, FakeServer, FakeWorld } from '../../../core/testing/index.ts';
import { type FakeRobotSpec, federationHandler, type IssuedRobotToken } from './federation.ts';
import { type Pull, registryEndpoint, registryHandler } from './registry.ts';
import { createRobotTokenSigner } from './tokens.ts';

export type { FakeRobotSpec, FederationEntry, IssuedRobotToken } from './federation.ts';
export type { Pull } from './registry.ts';

export interface FakeQuayOptions {
  /** Host names this Quay answers on (default quay.io), port 443 unless `host:port`. */
  hosts?: string[];
  robots: FakeRobotSpec[];
  /** Issuers whose discovery this Quay reaches (default: the world's issuer). */
  issuers?: FakeIssuer[];
  /** Robot token lifetime (default 3600, Quay's TMP_ROBOT_TOKEN_VALIDITY_LIFETIME_S). */
  robotTokenSeconds?: number;
}

export interface FakeQuay {
  server: FakeServer;
  /** Every robot token handed out, in order. */
  issued: IssuedRobotToken[];
  /** Manifest fetches that got through, with the robot that made them. */
  pulls: Pull[];
  /** The robot a token was issued to, if this fake issued it. */
  whoIs(token: string): string | undefined;
}

/** Quay's throttling answer and a 5xx, for `quay.server.faults.push('federation.token', ...)`. */
export const TOO_MANY_REQUESTS = { status: 429, headers: { 'retry-after': '1' }, body: 'Too Many Requests' };
export const SERVICE_UNAVAILABLE = { status: 503, body: { error: 'Service Unavailable' } };

export async function startFakeQuay(world: FakeWorld, options: FakeQuayOptions): Promise<FakeQuay> {
  const signer = await createRobotTokenSigner();
  const issued: IssuedRobotToken[] = [];
  const pulls: Pull[] = [];
  const state = {
    robots: options.robots,
    issuers: options.issuers ?? [world.issuer],
    signer,
    lifetimeSeconds: options.robotTokenSeconds ?? 3600,
    issued,
  };
  const registry = registryHandler(signer, pulls);
  const server = await world.serve(
    options.hosts ?? ['quay.io'],
    (req) => (req.endpoint === 'federation.token' ? federationHandler(state, req) : registry(req)),
    { name: 'quay', label: registryEndpoint },
  );
  return { server, issued, pulls, whoIs: (token) => issued.find((entry) => entry.token === token)?.robot };
}

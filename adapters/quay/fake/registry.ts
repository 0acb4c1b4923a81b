/**
 * The fake Quay registry: the Docker token handshake Quay runs (a 401 with a Bearer challenge whose
 * realm is `https://<host>/v2/auth`, then `GET /v2/auth` with Basic `<robot>:<robot token>`), in
 * front of the kit's one-image registry content. It accepts only robot tokens this fake signed, for
 * the robot named as the username and for this host (Quay's verify_robot_jwt_token checks `sub` and
 * `aud`), until their `exp`.
 */
import { randomBytes } from 'node:crypto';
import {
  type FakeRequest,
  type FakeResponse,
  registryError,
  registryRepository,
  serveRegistryContent,
} from '../../../core/testing/index.ts';
import { basicCredentials } from './federation.ts';
import type { RobotTokenSigner } from './tokens.ts';

/** A manifest fetch that got through, and the robot that made it. */
export interface Pull {
  host: string;
  repository: string;
  robot: string;
}

export function registryEndpoint(req: FakeRequest): string {
  const path = req.url.pathname;
  if (path === '/oauth2/federation/robot/token') return 'federation.token';
  if (path === '/v2/auth') return 'registry.auth';
  if (path === '/v2/' || path === '/v2') return 'registry.v2';
  if (/\/manifests\/[^/]+$/.test(path)) return 'registry.manifest';
  if (/\/blobs\/[^/]+$/.test(path)) return 'registry.blob';
  if (path.endsWith('/tags/list')) return 'registry.tags';
  return 'registry.other';
}

export function registryHandler(signer: RobotTokenSigner, pulls: Pull[]) {
  const bearers = new Map<string, string>();
  const challenge = (req: FakeRequest): FakeResponse =>
    registryError(401, 'UNAUTHORIZED', 'authentication required', {
      'WWW-Authenticate': `Bearer realm="https://${req.host}/v2/auth",service="${req.host}"`,
    });

  return async (req: FakeRequest): Promise<FakeResponse> => {
    if (req.url.pathname === '/v2/auth') {
      const robot = await robotOf(signer, req);
      if (!robot) return registryError(401, 'UNAUTHORIZED', 'Invalid Username or Password');
      const token = `quay-registry-${randomBytes(16).toString('hex')}`;
      bearers.set(token, robot);
      return { body: { token } };
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const robot = bearer ? bearers.get(bearer) : undefined;
    if (!robot) return challenge(req);
    const repository = registryRepository(req);
    if (repository !== undefined && /\/manifests\//.test(req.url.pathname)) {
      pulls.push({ host: req.host, repository, robot });
    }
    return serveRegistryContent(req);
  };
}

/** The robot a `/v2/auth` request proves it is, if its password is a live robot token for it. */
async function robotOf(signer: RobotTokenSigner, req: FakeRequest): Promise<string | undefined> {
  const credentials = basicCredentials(req.headers.authorization);
  if (!credentials || credentials === 'missing') return undefined;
  try {
    const claims = await signer.verify(credentials.password, req.host);
    return claims.sub === credentials.username ? credentials.username : undefined;
  } catch {
    return undefined;
  }
}

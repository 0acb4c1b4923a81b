/**
 * The fake `GET /oauth2/federation/robot/token`, in Quay's order and words
 * (util/security/federated_robot_auth.py, endpoints/decorated.py): a Basic header naming a robot,
 * the robot's federation config matched by the token's `iss`, the token verified against that
 * issuer's keys (signature, `exp`, and `aud` where the entry lists audiences, as newer Quay reads an
 * optional `audiences`), its `sub` one of the entry's subjects. 401 `{"error"}` for a header Quay
 * cannot use, 400 `{"message"}` for every refusal after that, 500 for a password that is not a JWT.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { FakeIssuer, FakeRequest, FakeResponse } from '../../../core/testing/index.ts';
import type { RobotTokenSigner } from './tokens.ts';

export interface FederationEntry {
  issuer: string;
  subject: string;
  /** Checked against the token's `aud` when set (Quay 3.18); 3.13-3.17 check none. */
  audiences?: string[];
}

export interface FakeRobotSpec {
  /** `org+name`. */
  name: string;
  federation: FederationEntry[];
}

/** A robot token this fake handed out (for assertions; never print it). */
export interface IssuedRobotToken {
  token: string;
  robot: string;
  host: string;
  /** The pod token's `sub` it was traded for. */
  subject: string;
  expiresAt: number;
}

export interface FederationState {
  robots: FakeRobotSpec[];
  /** The issuers whose keys this Quay can fetch (it reaches their discovery documents). */
  issuers: FakeIssuer[];
  signer: RobotTokenSigner;
  lifetimeSeconds: number;
  issued: IssuedRobotToken[];
}

const unauthorized = (error: string): FakeResponse => ({ status: 401, body: { error } });
const refused = (message: string): FakeResponse => ({ status: 400, body: { message } });

export async function federationHandler(state: FederationState, req: FakeRequest): Promise<FakeResponse> {
  if (req.method !== 'GET')
    return { status: 405, body: { message: 'The method is not allowed for the requested URL.' } };
  const credentials = basicCredentials(req.headers.authorization);
  if (credentials === 'missing') return unauthorized('No auth header');
  if (!credentials) return unauthorized('Could not parse basic auth header');
  const { username, password } = credentials;
  if (!username.includes('+')) return unauthorized('Invalid robot');
  const robot = state.robots.find((r) => r.name === username);
  if (!robot) return refused('Could not find robot with specified username');

  let issuer: string | undefined;
  try {
    issuer = decodeJwt(password).iss;
  } catch {
    // Quay's get_jwt_issuer lets PyJWT's DecodeError escape: an internal server error.
    return { status: 500, body: { error: 'Internal Server Error' } };
  }
  if (!issuer) return refused('Token does not contain issuer');
  if (robot.federation.length === 0) return refused('Robot does not have federated login configured');
  const entries = robot.federation.filter((entry) => entry.issuer === issuer);
  if (entries.length === 0) return refused(`issuer ${issuer} not configured for this robot`);

  const keys = state.issuers.find((known) => known.issuer === issuer);
  if (!keys) return refused(`Invalid token: could not discover the keys of ${issuer}`);
  const audiences = entries.flatMap((entry) => entry.audiences ?? []);
  let subject: unknown;
  try {
    const { payload } = await jwtVerify(password, createLocalJWKSet(keys.jwks), {
      issuer,
      ...(audiences.length > 0 ? { audience: audiences } : {}),
    });
    subject = payload.sub;
  } catch (error) {
    return refused(`Invalid token: ${(error as Error).message}`);
  }
  if (!entries.some((entry) => entry.subject === subject)) return refused('Token does not match robot');

  const token = await state.signer.sign(robot.name, req.host, state.lifetimeSeconds);
  state.issued.push({
    token,
    robot: robot.name,
    host: req.host,
    subject: String(subject),
    expiresAt: Date.now() + state.lifetimeSeconds * 1000,
  });
  return { body: { token } };
}

/** Basic `user:password` as Quay's _parse_basic_auth_header reads it (split at the first colon). */
export function basicCredentials(
  header: string | string[] | undefined,
): { username: string; password: string } | 'missing' | undefined {
  if (header === undefined || header === '') return 'missing';
  const match = /^Basic\s+(\S+)$/i.exec(String(header));
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

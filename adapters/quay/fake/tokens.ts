/**
 * The fake Quay's own signing key: robot tokens are JWTs it signs, as Quay signs them with its
 * instance keys (data/model/user.py generate_temp_robot_jwt_token): `sub` the robot, `aud` the
 * server's hostname, `exp` an hour out. Its registry verifies them, so only a token this fake issued,
 * for this robot, on this host, and not expired, opens a manifest.
 */
import { randomUUID } from 'node:crypto';
import { type CryptoKey, generateKeyPair, type JWTPayload, jwtVerify, SignJWT } from 'jose';

/** The `iss` of Quay's own tokens (its instance keys' service name). */
export const QUAY_ISSUER = 'quay';

export interface RobotTokenSigner {
  sign(robot: string, host: string, lifetimeSeconds: number): Promise<string>;
  /** Signature, issuer, `aud` (the host) and expiry; throws jose errors. */
  verify(token: string, host: string): Promise<JWTPayload>;
}

export async function createRobotTokenSigner(): Promise<RobotTokenSigner> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  return {
    sign: (robot, host, lifetimeSeconds) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ access: [], context: { kind: 'robot', robot } })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(QUAY_ISSUER)
        .setSubject(robot)
        .setAudience(host)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + lifetimeSeconds)
        .sign(privateKey as CryptoKey);
    },
    verify: async (token, host) =>
      (await jwtVerify(token, publicKey as CryptoKey, { issuer: QUAY_ISSUER, audience: host })).payload,
  };
}

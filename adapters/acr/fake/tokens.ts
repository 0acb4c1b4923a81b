/**
 * Signing keys for the fake Azure: Entra ID (and IMDS, which hands out Entra tokens) signs access
 * tokens, each fake registry signs its own refresh and access tokens. Fakes verify signatures, so a
 * credential is accepted only where it was really issued.
 */
import { randomUUID } from 'node:crypto';
import { type CryptoKey, generateKeyPair, type JWTPayload, jwtVerify, SignJWT } from 'jose';

export interface Signer {
  sign(claims: JWTPayload, lifetimeSeconds: number): Promise<string>;
  /** Verifies signature, audience and expiry; throws jose errors (`code` names the failure). */
  verify(token: string, audience: string): Promise<JWTPayload>;
}

export async function createSigner(issuer: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  return {
    sign: (claims, lifetimeSeconds) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
        .setIssuer(issuer)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + lifetimeSeconds)
        .setJti(randomUUID())
        .sign(privateKey as CryptoKey);
    },
    verify: async (token, audience) => (await jwtVerify(token, publicKey as CryptoKey, { issuer, audience })).payload,
  };
}

/** The audience of every Entra token for ACR (resource https://containerregistry.azure.net). */
export const ACR_RESOURCE = 'https://containerregistry.azure.net';

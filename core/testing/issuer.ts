/**
 * A fake Kubernetes service account issuer: what kube-apiserver's TokenRequest does for the
 * kubelet, plus the public OIDC discovery a cloud's token service reads (served over HTTPS from the
 * test CA). Fake clouds verify tokens against its JWKS exactly as STS, Entra ID or Google STS verify
 * a cluster's tokens: signature, issuer, audience, expiry.
 */
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { TestCA } from './ca.ts';
import { type FakeServer, startFakeServer } from './server.ts';

export interface MintOptions {
  namespace?: string;
  serviceAccount?: string;
  serviceAccountUid?: string;
  audience: string | string[];
  /** Default 3600, the kubelet's TokenRequest default. Negative mints an already expired token. */
  expiresInSeconds?: number;
  pod?: { name: string; uid?: string };
  node?: { name: string; uid?: string };
  /** Overrides for any claim (e.g. `sub` to mint a non-service-account token). */
  claims?: Record<string, unknown>;
  now?: number;
}

export interface FakeIssuer {
  /** `https://<host>`: the `iss` claim and the OIDC discovery base. */
  issuer: string;
  host: string;
  jwks: { keys: JWK[] };
  mint(options: MintOptions): Promise<string>;
  /** Verifies like a cloud token service: signature, iss, aud, exp. Throws on any mismatch. */
  verify(token: string, options: { audience: string | string[] }): Promise<JWTPayload>;
  /** The HTTPS server for discovery (`/.well-known/openid-configuration`, `/openid/v1/jwks`), if started. */
  server?: FakeServer;
  close(): Promise<void>;
}

export interface FakeIssuerOptions {
  /** Host of the issuer URL (default `oidc.credkit.test`). */
  host?: string;
  /** Serve discovery over HTTPS with this CA (default: no server; verification is in-process). */
  ca?: TestCA;
}

export async function startFakeIssuer(options: FakeIssuerOptions = {}): Promise<FakeIssuer> {
  const host = options.host ?? 'oidc.credkit.test';
  const issuer = `https://${host}`;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const jwks = { keys: [jwk] };
  const keySet = createLocalJWKSet(jwks);

  const server = options.ca
    ? await startFakeServer({
        ca: options.ca,
        hosts: [host],
        name: 'issuer',
        handler: (req) => {
          if (req.url.pathname === '/.well-known/openid-configuration') {
            return {
              body: {
                issuer,
                jwks_uri: `${issuer}/openid/v1/jwks`,
                response_types_supported: ['id_token'],
                subject_types_supported: ['public'],
                id_token_signing_alg_values_supported: ['RS256'],
              },
            };
          }
          if (req.url.pathname === '/openid/v1/jwks') return { body: jwks };
          return { status: 404, body: 'not found' };
        },
      })
    : undefined;

  const mint = (mintOptions: MintOptions): Promise<string> => {
    const namespace = mintOptions.namespace ?? 'default';
    const name = mintOptions.serviceAccount ?? 'default';
    const now = Math.floor((mintOptions.now ?? Date.now()) / 1000);
    const pod = mintOptions.pod ?? { name: `${name}-pod` };
    const claims = {
      iss: issuer,
      sub: `system:serviceaccount:${namespace}:${name}`,
      aud: Array.isArray(mintOptions.audience) ? mintOptions.audience : [mintOptions.audience],
      exp: now + (mintOptions.expiresInSeconds ?? 3600),
      iat: now,
      nbf: now,
      jti: randomUUID(),
      'kubernetes.io': {
        namespace,
        ...(mintOptions.node
          ? { node: { name: mintOptions.node.name, uid: mintOptions.node.uid ?? randomUUID() } }
          : {}),
        pod: { name: pod.name, uid: pod.uid ?? randomUUID() },
        serviceaccount: { name, uid: mintOptions.serviceAccountUid ?? randomUUID() },
      },
      ...mintOptions.claims,
    };
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey);
  };

  return {
    issuer,
    host,
    jwks,
    mint,
    verify: async (token, verifyOptions) => {
      const { payload } = await jwtVerify(token, keySet, { issuer, audience: verifyOptions.audience });
      return payload;
    },
    ...(server ? { server } : {}),
    close: async () => {
      await server?.close();
    },
  };
}

/**
 * The pod's service account token, as the kubelet hands it over (KEP-4412). The node cannot verify
 * its signature (it holds no issuer keys and must not call the API server on the pull path), so the
 * cloud's token service is the real verifier. What the node can do is refuse early, before any
 * network call, a token that the cloud would refuse anyway: wrong audience, expired, or not a
 * service account token. That turns a slow, opaque cloud error into a one-line fix.
 */
import { decodeJwt } from 'jose';
import * as z from 'zod/mini';
import { CredkitError } from './errors.ts';

const SUBJECT_PREFIX = 'system:serviceaccount:';

const named = z.optional(z.looseObject({ name: z.string(), uid: z.optional(z.string()) }));

export const serviceAccountClaimsSchema = z.looseObject({
  iss: z.optional(z.string()),
  sub: z.string(),
  aud: z.optional(z.union([z.string(), z.array(z.string())])),
  exp: z.optional(z.number()),
  iat: z.optional(z.number()),
  nbf: z.optional(z.number()),
  'kubernetes.io': z.optional(
    z.looseObject({
      namespace: z.optional(z.string()),
      serviceaccount: named,
      pod: named,
      node: named,
    }),
  ),
});
export type ServiceAccountClaims = z.infer<typeof serviceAccountClaimsSchema>;

/** Who the token speaks for, from its `sub` (`system:serviceaccount:<namespace>:<name>`). */
export interface ServiceAccountIdentity {
  namespace: string;
  name: string;
  subject: string;
}

/** Decodes (never verifies) the claims; a token that is not a JWT is a token error. */
export function decodeServiceAccountToken(token: string): ServiceAccountClaims {
  let payload: unknown;
  try {
    payload = decodeJwt(token);
  } catch {
    throw new CredkitError('token', 'the service account token is not a JWT: check the kubelet tokenAttributes');
  }
  const parsed = serviceAccountClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    throw new CredkitError(
      'token',
      'the service account token has no subject claim: it is not a Kubernetes service account token',
    );
  }
  return parsed.data;
}

export function serviceAccountIdentity(claims: ServiceAccountClaims): ServiceAccountIdentity {
  const parts = claims.sub.startsWith(SUBJECT_PREFIX) ? claims.sub.slice(SUBJECT_PREFIX.length).split(':') : [];
  const [namespace, name] = parts;
  if (parts.length !== 2 || !namespace || !name) {
    throw new CredkitError(
      'token',
      `the token subject ${JSON.stringify(claims.sub)} is not a service account (want system:serviceaccount:<namespace>:<name>)`,
    );
  }
  return { namespace, name, subject: claims.sub };
}

export function audiences(claims: ServiceAccountClaims): string[] {
  if (claims.aud === undefined) return [];
  return Array.isArray(claims.aud) ? claims.aud : [claims.aud];
}

export interface TokenCheck {
  /** The audience the provider's cloud will demand. */
  audience: string;
  /** Current time in ms since the epoch. */
  now: number;
  /** Clock skew allowed between node and issuer, in seconds. */
  skewSeconds?: number;
}

/** Pre-flight checks; throws a `token` error that names the fix. */
export function checkServiceAccountToken(claims: ServiceAccountClaims, check: TokenCheck): ServiceAccountIdentity {
  const identity = serviceAccountIdentity(claims);
  const skew = check.skewSeconds ?? 30;
  const have = audiences(claims);
  if (!have.includes(check.audience)) {
    throw new CredkitError(
      'token',
      `token audience is ${JSON.stringify(have)}, this provider expects ${check.audience}: ` +
        `set tokenAttributes.serviceAccountTokenAudience to ${check.audience} in the kubelet credential provider config`,
    );
  }
  const nowSeconds = check.now / 1000;
  if (claims.exp !== undefined && claims.exp + skew <= nowSeconds) {
    const ago = Math.round(nowSeconds - claims.exp);
    throw new CredkitError(
      'token',
      `the service account token of ${identity.subject} expired ${ago}s ago: check the node clock and the kubelet's token refresh`,
    );
  }
  if (claims.nbf !== undefined && claims.nbf - skew > nowSeconds) {
    throw new CredkitError(
      'token',
      `the service account token of ${identity.subject} is not valid yet: check the node clock`,
    );
  }
  return identity;
}

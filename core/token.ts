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
import { quote } from './line.ts';

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
  if (!parsed.success) throw claimError(payload as Record<string, unknown>, parsed.error.issues[0]?.path ?? []);
  return parsed.data;
}

const CLAIM_SHAPES: Record<string, string> = {
  sub: 'a string',
  aud: 'a string or a list of strings',
  exp: 'a number of seconds since the epoch',
  iat: 'a number of seconds since the epoch',
  nbf: 'a number of seconds since the epoch',
  iss: 'a string',
};

/** Names the claim that is wrong and what it holds (`aud: 5` is not "no subject claim"). */
function claimError(payload: Record<string, unknown>, path: PropertyKey[]): CredkitError {
  const claim = String(path[0] ?? 'sub');
  if (claim === 'sub' && payload.sub === undefined) {
    return new CredkitError(
      'token',
      'the service account token has no subject claim: it is not a Kubernetes service account token',
    );
  }
  const where = path.map(String).join('.');
  const value = path.reduce<unknown>((at, key) => (at as Record<PropertyKey, unknown> | undefined)?.[key], payload);
  const shape = CLAIM_SHAPES[claim] ?? 'the shape a TokenRequest token has';
  return new CredkitError(
    'token',
    `the service account token's ${where} claim is ${describeValue(value)}, want ${shape}: it is not a Kubernetes service account token`,
  );
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list (${quote(value)})`;
  return `${typeof value === 'object' ? 'an object' : `a ${typeof value}`} (${quote(value)})`;
}

// Kubernetes object names (apimachinery validation): a namespace is a DNS-1123 label, a service
// account name a DNS-1123 subdomain. Anything else in `sub` did not come from a TokenRequest.
const DNS1123_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

export function serviceAccountIdentity(claims: ServiceAccountClaims): ServiceAccountIdentity {
  const parts = claims.sub.startsWith(SUBJECT_PREFIX) ? claims.sub.slice(SUBJECT_PREFIX.length).split(':') : [];
  const [namespace, name] = parts;
  if (parts.length !== 2 || !namespace || !name || !DNS1123_LABEL.test(namespace) || !DNS1123_SUBDOMAIN.test(name)) {
    throw new CredkitError(
      'token',
      `the token subject ${quote(claims.sub)} is not a service account (want system:serviceaccount:<namespace>:<name>)`,
    );
  }
  return { namespace, name, subject: claims.sub };
}

/** At most a few audiences, each quoted: a token may carry thousands. */
function listOf(values: string[], shown = 4): string {
  const items = values.slice(0, shown).map((value) => quote(value));
  const more = values.length > shown ? `, … (${values.length} audiences)` : '';
  return `[${items.join(', ')}${more}]`;
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
      `token audience is ${listOf(have)}, this provider expects ${check.audience}: ` +
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

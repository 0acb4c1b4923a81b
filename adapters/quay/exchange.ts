/**
 * The pod-token leg: the service account token traded at Quay's robot federation endpoint for a
 * short-lived robot token, the registry password (username: the robot's name). One described call.
 *
 * The contract (quay.io and Red Hat Quay >= 3.13), read in quay/quay at ffba0c7 (the endpoint came
 * with e9161cb, PROJQUAY-7803, first released in v3.13.0) and in the Red Hat Quay API reference
 * §18.13 "Auth Federated Robot Token",
 * https://docs.redhat.com/zh-cn/documentation/red_hat_quay/3/html/red_hat_quay_api_reference/auth_federated_robot_token:
 *  - `GET https://<quay host>/oauth2/federation/robot/token` (web.py mounts federation_bp at
 *    /oauth2; endpoints/oauth/robot_identity_federation.py). No body, no query needed.
 *  - `Authorization: Basic base64(<robot full name>:<JWT>)`
 *    (util/security/federated_robot_auth.py validate_federated_auth; external-secrets
 *    pkg/generator/quay/quay.go does the same with SetBasicAuth). The reference's sample curl shows
 *    a Bearer header; the code reads Basic only.
 *  - Quay checks: the name is a robot (`org+name`) that exists; the token's `iss` is an issuer in the
 *    robot's federation config; the signature, through that issuer's OIDC discovery and JWKS, and
 *    `exp`; `sub` is a subject configured for that issuer. It does not check `aud` (`verify_aud:
 *    False` in 3.13-3.17; 3.18 reads an optional per-entry `audiences` list that its federation
 *    API does not store yet) nor `nbf`.
 *  - 200 `{"token": "<JWT>"}`: Quay's own token (data/model/user.py generate_temp_robot_jwt_token):
 *    `sub` the robot, `aud` Quay's SERVER_HOSTNAME, `exp` one hour out
 *    (TMP_ROBOT_TOKEN_VALIDITY_LIFETIME_S = 3600). The registry takes it as the robot's password
 *    (auth/credentials.py -> verify_robot_jwt_token). Its `exp` is the expiry, as external-secrets
 *    reads it.
 *  - Refusals: 401 `{"error": ...}` when the header is missing or the name is not a robot ("Invalid
 *    robot"); 400 `{"message": ...}` (endpoints/decorated.py handle_dme) for a robot that does not
 *    exist, no federation config, an unknown issuer, a token that fails verification ("Invalid
 *    token: Signature has expired") or a subject that does not match ("Token does not match robot");
 *    500 for a password that is not a JWT (never sent: the core decodes the token first); 404 where
 *    the endpoint does not exist (Quay < 3.13, or not Quay).
 */
import { decodeJwt } from 'jose';
import * as z from 'zod/mini';
import { type Context, exchange, type Refusal, refusedBy } from '../../core/index.ts';
import { ROBOT_ANNOTATION } from './identity.ts';

export const FEDERATION_PATH = '/oauth2/federation/robot/token';
const WHAT = 'Quay robot federation';

const answerSchema = z.looseObject({ token: z.string().check(z.minLength(1)) });

export interface RobotToken {
  token: string;
  /** From the token's own `exp`; undefined when it has none (the answer is then not cached). */
  expiresAt?: Date;
}

export interface FederationInput {
  /** `host[:port]` of the Quay registry the image is on. */
  registry: string;
  robot: string;
  /** The pod's service account token. */
  token: string;
  /** For messages: the token's `sub` and `iss`. */
  subject: string;
  issuer?: string;
  userAgent: string;
}

export async function federatedRobotToken(
  ctx: Pick<Context, 'http' | 'signal' | 'log'>,
  input: FederationInput,
): Promise<RobotToken> {
  const url = `https://${input.registry}${FEDERATION_PATH}`;
  const basic = Buffer.from(`${input.robot}:${input.token}`).toString('base64');
  ctx.log.redactor.add(basic);
  const answer = await exchange(ctx, {
    what: WHAT,
    url,
    headers: { Authorization: `Basic ${basic}`, Accept: 'application/json', 'User-Agent': input.userAgent },
    schema: answerSchema,
    reason: quayReason,
    refused: (refusal) => refusedBy(WHAT, url, refusal, fixFor(refusal, input)),
  });
  ctx.log.redactor.add(answer.token);
  const expiresAt = expiryOf(answer.token);
  ctx.log.v(2).info('robot token from Quay', {
    registry: input.registry,
    robot: input.robot,
    subject: input.subject,
    expiresAt: expiresAt?.toISOString(),
  });
  return { token: answer.token, ...(expiresAt ? { expiresAt } : {}) };
}

/** Quay's words: `error` (401) or `message` (400), else the body. */
export function quayReason(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.message === 'string') return body.message;
    if (typeof body.error === 'string') return body.error;
  } catch {
    // Not JSON (a proxy's or load balancer's page): its text is all there is.
  }
  return text;
}

/** What the operator changes, read from Quay's own message. */
function fixFor(refusal: Refusal, input: FederationInput): string | undefined {
  const reason = refusal.reason;
  const entry = `issuer ${input.issuer ?? "(the token's iss)"}, subject ${input.subject}`;
  if (refusal.status === 404) {
    return `${input.registry} has no robot federation endpoint: it needs Quay 3.13 or later (or it is not Quay)`;
  }
  if (refusal.status === 401) return `Quay did not take ${input.robot} as a robot account name`;
  if (refusal.status !== 400) return undefined;
  if (/could not find robot/i.test(reason)) {
    return `create robot ${input.robot} on ${input.registry}, or fix the service account's ${ROBOT_ANNOTATION} annotation`;
  }
  if (/not configured|federated login/i.test(reason) || /does not match robot/i.test(reason)) {
    return `add a federation entry to robot ${input.robot}: ${entry}`;
  }
  if (/invalid token/i.test(reason)) {
    return `Quay could not verify the token: it must reach ${input.issuer ?? 'the issuer'}/.well-known/openid-configuration and its JWKS`;
  }
  return undefined;
}

function expiryOf(token: string): Date | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A fake AKS identity-binding endpoint (research/azure-acr.md §2.3, §5.3): the API server's
 * `POST https://<sni>/` that trades a service account token of audience api://AKSIdentityBinding
 * for an Entra access token of a managed identity bound to the cluster. Strict: it answers only
 * the TLS server name and Host it was started for, only POST /, only the five form fields upstream
 * sends, and only a token the cluster issuer signed for a service account the binding allows.
 *
 * It is not behind the fake world's proxy: the real endpoint is reached straight at the API
 * server's address, so the fake listens on loopback (`address`) with its own cluster CA (`caFile`),
 * which the world's NODE_EXTRA_CA_CERTS does not hold.
 */
import type { JWTPayload } from 'jose';
import {
  createTestCA,
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  startFakeServer,
  type TestCA,
} from '../../../core/testing/index.ts';
import { entraAccessToken } from './entra.ts';
import { ACR_RESOURCE, type Signer } from './tokens.ts';

export const IDENTITY_BINDING_AUDIENCE = 'api://AKSIdentityBinding';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const FIELDS = ['grant_type', 'client_assertion_type', 'client_assertion', 'client_id', 'scope'];

/** One managed identity bound to the cluster, and the service accounts that may use it. */
export interface IdentityBindingSpec {
  clientId: string;
  tenantId: string;
  /** `system:serviceaccount:<namespace>:<name>` of each service account allowed to use it. */
  subjects: string[];
}

export interface FakeIdentityBindingOptions {
  /** The endpoint's TLS server name (`--ib-sni-name`). */
  sniName: string;
  bindings: IdentityBindingSpec[];
  /** Default: a new CA, the fake cluster's. */
  ca?: TestCA;
}

export interface FakeIdentityBinding extends FakeServer {
  sniName: string;
  /** `127.0.0.1:<port>`: what `--ib-apiserver-ip` names. */
  address: string;
  /** The cluster CA's file: what `--ib-ca-file` names. */
  caFile: string;
  ca: TestCA;
}

export interface IdentityBindingHandlerOptions {
  sniName: string;
  bindings: IdentityBindingSpec[];
  /** Verifies the token's signature, issuer, audience and expiry against the cluster issuer. */
  verifyAssertion(token: string, audience: string): Promise<JWTPayload>;
  /** Entra's signer: the access token must be one the fake registries accept. */
  signer: Signer;
}

export function identityBindingLabel(req: FakeRequest): string {
  return req.method === 'POST' && req.url.pathname === '/' ? 'token' : `${req.method} ${req.url.pathname}`;
}

export async function startFakeIdentityBinding(
  options: FakeIdentityBindingOptions & Pick<IdentityBindingHandlerOptions, 'verifyAssertion' | 'signer'>,
): Promise<FakeIdentityBinding> {
  const ca = options.ca ?? (await createTestCA('fake cluster CA'));
  const server = await startFakeServer({
    ca,
    hosts: [options.sniName],
    handler: identityBindingHandler(options),
    label: identityBindingLabel,
    name: 'identity-binding',
  });
  return Object.assign(server, {
    sniName: options.sniName,
    address: `127.0.0.1:${server.port}`,
    caFile: ca.caFile,
    ca,
  });
}

export function identityBindingHandler(
  options: IdentityBindingHandlerOptions,
): (req: FakeRequest) => Promise<FakeResponse> {
  return async (req) => {
    if (req.servername !== options.sniName) {
      return refuse(
        421,
        'misdirected_request',
        `TLS server name ${req.servername ?? '(none)'} is not ${options.sniName}`,
      );
    }
    if (req.host !== options.sniName)
      return refuse(421, 'misdirected_request', `Host ${req.host} is not ${options.sniName}`);
    if (req.url.pathname !== '/') return refuse(404, 'not_found', `no endpoint at ${req.url.pathname}`);
    if (req.method !== 'POST') return refuse(405, 'method_not_allowed', 'the identity-binding endpoint takes POST');
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('application/x-www-form-urlencoded')) {
      return refuse(415, 'invalid_request', `content-type ${type || '(none)'} is not a form`);
    }
    const form = new URLSearchParams(req.body);
    const problem = formProblem(form);
    if (problem) return refuse(400, problem.error, problem.description);
    return token(options, form.get('client_id') as string, form.get('client_assertion') as string);
  };
}

/** Exactly upstream's five fields, each once, with the values upstream sends. */
function formProblem(form: URLSearchParams): { error: string; description: string } | undefined {
  const keys = [...form.keys()];
  const unknown = keys.find((key) => !FIELDS.includes(key));
  if (unknown) return { error: 'invalid_request', description: `unexpected field ${unknown}` };
  const repeated = keys.find((key, i) => keys.indexOf(key) !== i);
  if (repeated) return { error: 'invalid_request', description: `field ${repeated} given twice` };
  const missing = FIELDS.find((key) => !form.get(key));
  if (missing) return { error: 'invalid_request', description: `missing field ${missing}` };
  if (form.get('grant_type') !== 'client_credentials') {
    return { error: 'unsupported_grant_type', description: `grant_type ${form.get('grant_type')}` };
  }
  if (form.get('client_assertion_type') !== JWT_BEARER) {
    return { error: 'invalid_request', description: `client_assertion_type ${form.get('client_assertion_type')}` };
  }
  if (form.get('scope') !== `${ACR_RESOURCE}/.default`) {
    return { error: 'invalid_scope', description: `scope ${form.get('scope')} is not ${ACR_RESOURCE}/.default` };
  }
  return undefined;
}

async function token(
  options: IdentityBindingHandlerOptions,
  clientId: string,
  assertion: string,
): Promise<FakeResponse> {
  let claims: JWTPayload;
  try {
    claims = await options.verifyAssertion(assertion, IDENTITY_BINDING_AUDIENCE);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'invalid';
    return refuse(401, 'invalid_client', `service account token rejected (${code})`);
  }
  const binding = options.bindings.find((b) => b.clientId === clientId);
  if (!binding) return refuse(403, 'unauthorized_client', `no identity binding for managed identity ${clientId}`);
  if (!binding.subjects.includes(claims.sub ?? '')) {
    return refuse(403, 'unauthorized_client', `${claims.sub} may not use the identity binding of ${clientId}`);
  }
  const accessToken = await entraAccessToken(options.signer, binding.tenantId, clientId);
  return { body: { access_token: accessToken, expires_in: 3600, token_type: 'Bearer' } };
}

function refuse(status: number, error: string, description: string): FakeResponse {
  return { status, body: { error, error_description: description } };
}

/**
 * The identity-binding leg: the pod's token (audience api://AKSIdentityBinding) for an Entra access
 * token of the bound managed identity, from the API server's identity-binding endpoint (upstream
 * pkg/credentialprovider/identity_bindings_credentials.go; research/azure-acr.md §2.3, §5.3):
 *
 *   POST https://<ib-sni-name>/   dialled at <ib-apiserver-ip>:443, TLS server name <ib-sni-name>,
 *   form grant_type=client_credentials, client_assertion_type=jwt-bearer, client_assertion=<token>,
 *        client_id=<annotation or --ib-default-client-id>, scope=https://containerregistry.azure.net/.default
 *   -> 200 {"access_token": "...", "expires_in": 3600}
 *
 * The one call that ignores HTTPS_PROXY: it stays inside the cluster, and trusts the cluster CA
 * alone (the endpoint's certificate is the API server's), as upstream. The access token then goes
 * through the ACR exchange like any other Entra token (refresh-token.ts).
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import {
  CredkitError,
  createHttp,
  type Env,
  type ExchangeContext,
  exchange,
  NetworkFault,
  refusedBy,
} from '../../core/index.ts';
import { ACR_SCOPE, aadstsText, FORM_HEADERS, formBody, jsonObject } from './entra.ts';
import { type IdentityBindings, resolveApiServer } from './identity-binding.ts';

export interface IdentityBindingIdentity {
  /** The managed identity's client id: the pod's annotation, else --ib-default-client-id. */
  clientId: string;
  /** The pod's token. */
  assertion: string;
  /** `system:serviceaccount:<ns>:<name>`, for messages. */
  subject: string;
  bindings: IdentityBindings;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
// upstream reads expires_in as an int64: a string there fails its JSON decoding too.
const tokenSchema = z.object({ access_token: z.string().check(z.minLength(1)), expires_in: z.optional(z.number()) });

export async function entraTokenFromIdentityBinding(
  ctx: ExchangeContext & { env: Env },
  identity: IdentityBindingIdentity,
): Promise<string> {
  const { sniName, apiServer, caFile } = identity.bindings;
  const ca = readClusterCA(caFile);
  const address = await resolveApiServer(apiServer.host);
  const at = `${address.includes(':') ? `[${address}]` : address}:${apiServer.port}`;
  const what = `the AKS identity-binding endpoint at ${at}`;
  const http = createHttp({ env: ctx.env, signal: ctx.signal, pinned: { address, port: apiServer.port, ca: [ca] } });
  const url = `https://${sniName}/`;
  ctx.log.v(4).info('requesting a token from the identity-binding endpoint', { sni: sniName, address: at });
  const answer = await exchange(
    { http, signal: ctx.signal, log: ctx.log },
    {
      what,
      url,
      method: 'POST',
      headers: FORM_HEADERS,
      body: formBody({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER,
        client_assertion: identity.assertion,
        client_id: identity.clientId,
        scope: ACR_SCOPE,
      }),
      schema: tokenSchema,
      reason: (text) => aadstsText(jsonObject(text))?.replace(/\.$/, ''),
      refused: (refusal) =>
        refusedBy(
          what,
          url,
          refusal,
          `check that an identity binding on this cluster names managed identity ${identity.clientId} and that ${identity.subject} may use it`,
        ),
    },
  ).catch((error: unknown) => {
    throw clusterTlsFault(error, what, sniName, caFile);
  });
  ctx.log.redactor.add(answer.access_token);
  return answer.access_token;
}

/** The cluster CA, read on every call as upstream does (so a rotated CA is picked up). */
function readClusterCA(caFile: string): string {
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new CredkitError(
      'usage',
      `cannot read the cluster CA file ${caFile} (${code}) for identity bindings: fix --ib-ca-file (default /etc/kubernetes/certs/ca.crt)`,
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CredkitError(
      'usage',
      `the cluster CA file ${caFile} holds no PEM certificate: point --ib-ca-file at the cluster CA`,
    );
  }
  return pem;
}

/** A TLS failure here is the cluster CA or the SNI name, not NODE_EXTRA_CA_CERTS: say so. */
function clusterTlsFault(error: unknown, what: string, sniName: string, caFile: string): unknown {
  if (!(error instanceof NetworkFault) || error.fault !== 'tls') return error;
  const code = (error.cause as { code?: string } | undefined)?.code ?? 'TLS';
  return new NetworkFault(
    'tls',
    'final',
    `TLS to ${what} (${sniName}) failed (${code}): its certificate must be for ${sniName} and signed by the cluster CA in ${caFile}: check --ib-sni-name and --ib-ca-file`,
    { cause: error.cause },
  );
}

/**
 * Strict fakes of the managed identity endpoints other than a VM's IMDS (fake/imds.ts), as
 * @azure/identity's MSAL sources call them (msal-node ManagedIdentitySources/*): plain HTTP on
 * loopback, as the real agents listen. Each checks its method, api-version, secret header and
 * identity selector, and answers as the service does (numbers as strings):
 *  - App Service: `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=...`, header
 *    `X-IDENTITY-HEADER: $IDENTITY_HEADER`, a user-assigned identity by `client_id`, `mi_res_id` or
 *    `object_id`;
 *  - Azure Arc: `GET $IDENTITY_ENDPOINT?api-version=2020-06-01&resource=...` with `Metadata: true`
 *    is answered 401 with `WWW-Authenticate: Basic realm=<key file>`, a fresh secret written to that
 *    file (as the himds agent does, in /var/opt/azcmagent/tokens/); the same request with
 *    `Authorization: Basic <that secret>` gets the token, echoing the identity it used;
 *  - Machine Learning: `GET $MSI_ENDPOINT?api-version=2017-09-01&resource=...&clientid=...` with
 *    `secret: $MSI_SECRET`;
 *  - Cloud Shell: `POST $MSI_ENDPOINT` with `Metadata: true` and the form `resource=...`, the
 *    shell's own identity only.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from '../../../core/testing/index.ts';
import { entraAccessToken } from './entra.ts';
import type { ManagedIdentitySpec } from './imds.ts';
import type { Signer } from './tokens.ts';

export type ManagedIdentityEndpointKind = 'AppService' | 'AzureArc' | 'MachineLearning' | 'CloudShell';

export interface ManagedIdentityEndpointOptions {
  kind: ManagedIdentityEndpointKind;
  identities: ManagedIdentitySpec[];
  signer: Signer;
  /** App Service's IDENTITY_HEADER, Machine Learning's MSI_SECRET. */
  secret?: string;
  /**
   * Arc: the folder the challenge's key files are written to. The challenge always names them in
   * /var/opt/azcmagent/tokens/, the only folder MSAL reads them from: tests write elsewhere and run
   * the client in a mount namespace that binds this folder there.
   */
  arcTokensDir?: string;
}

export interface FakeManagedIdentityEndpoint extends FakeServer {
  /** The endpoint URL to put in IDENTITY_ENDPOINT or MSI_ENDPOINT. */
  endpoint: string;
  /** The variables that make @azure/identity (and credkit) pick this source. */
  env: Record<string, string>;
}

const PATHS: Record<ManagedIdentityEndpointKind, string> = {
  AppService: '/msi/token',
  AzureArc: '/metadata/identity/oauth2/token',
  MachineLearning: '/msi/token',
  CloudShell: '/oauth2/token',
};

/** Where the Arc agent keeps its challenge files on Linux, and where MSAL insists on reading them. */
export const ARC_TOKENS = '/var/opt/azcmagent/tokens/';

const API_VERSIONS: Partial<Record<ManagedIdentityEndpointKind, string>> = {
  AppService: '2019-08-01',
  AzureArc: '2020-06-01',
  MachineLearning: '2017-09-01',
};

export async function startManagedIdentityEndpoint(
  options: ManagedIdentityEndpointOptions,
): Promise<FakeManagedIdentityEndpoint> {
  const keyName = `${randomBytes(8).toString('hex')}.key`;
  const keyFile = { advertised: `${ARC_TOKENS}${keyName}`, written: join(options.arcTokensDir ?? ARC_TOKENS, keyName) };
  const state = { arcSecret: undefined as string | undefined };
  const server = await startFakeServer({
    hosts: ['127.0.0.1'],
    name: options.kind,
    label: (req) => (req.url.pathname === PATHS[options.kind] ? 'token' : `${req.method} ${req.url.pathname}`),
    handler: (req) => handle(options, req, keyFile, state),
  });
  const endpoint = `${server.url}${PATHS[options.kind]}`;
  return Object.assign(server, { endpoint, env: environmentFor(options, endpoint) });
}

function environmentFor(options: ManagedIdentityEndpointOptions, endpoint: string): Record<string, string> {
  switch (options.kind) {
    case 'AppService':
      return { IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: options.secret ?? '' };
    case 'AzureArc':
      return { IDENTITY_ENDPOINT: endpoint, IMDS_ENDPOINT: endpoint.replace(PATHS.AzureArc, '') };
    case 'MachineLearning': {
      // Always set on Machine Learning compute: the client id MSAL asks for by default.
      const system = options.identities.find((identity) => identity.systemAssigned);
      return {
        MSI_ENDPOINT: endpoint,
        MSI_SECRET: options.secret ?? '',
        ...(system ? { DEFAULT_IDENTITY_CLIENT_ID: system.clientId } : {}),
      };
    }
    case 'CloudShell':
      return { MSI_ENDPOINT: endpoint };
  }
}

const bad = (status: number, description: string): FakeResponse => ({
  status,
  body: { error: 'invalid_request', error_description: description },
});

async function handle(
  options: ManagedIdentityEndpointOptions,
  req: FakeRequest,
  keyFile: { advertised: string; written: string },
  state: { arcSecret: string | undefined },
): Promise<FakeResponse> {
  if (req.endpoint !== 'token') return { status: 404, body: { error: 'not_found' } };
  const { kind } = options;
  const expectedMethod = kind === 'CloudShell' ? 'POST' : 'GET';
  if (req.method !== expectedMethod) return bad(405, `${kind} takes ${expectedMethod}`);
  const query = kind === 'CloudShell' ? new URLSearchParams(req.body) : req.url.searchParams;
  const version = API_VERSIONS[kind];
  if (version && req.url.searchParams.get('api-version') !== version) return bad(400, `api-version must be ${version}`);
  if (!query.get('resource')) return bad(400, 'Required query variable resource not specified');
  const refused = checkSecret(options, req, keyFile, state);
  if (refused) return refused;
  const found = pick(kind, options.identities, query);
  if (!found) return bad(400, 'Identity not found');
  const now = Math.floor(Date.now() / 1000);
  return {
    body: {
      access_token: await entraAccessToken(options.signer, found.tenantId, found.clientId),
      expires_on: String(now + 86399),
      expires_in: '86399',
      resource: query.get('resource'),
      token_type: 'Bearer',
      client_id: found.clientId,
      ...(kind === 'AzureArc' && found.resourceId ? { msi_res_id: found.resourceId } : {}),
    },
  };
}

/** The proof each source asks for; undefined when it is there. */
function checkSecret(
  options: ManagedIdentityEndpointOptions,
  req: FakeRequest,
  keyFile: { advertised: string; written: string },
  state: { arcSecret: string | undefined },
): FakeResponse | undefined {
  switch (options.kind) {
    case 'AppService':
      return req.headers['x-identity-header'] === options.secret ? undefined : bad(401, 'X-IDENTITY-HEADER is wrong');
    case 'MachineLearning':
      if (req.headers.metadata !== 'true') return bad(400, 'Required metadata header not specified');
      return req.headers.secret === options.secret ? undefined : bad(401, 'secret is wrong');
    case 'CloudShell':
      return req.headers.metadata === 'true' ? undefined : bad(400, 'Required metadata header not specified');
    case 'AzureArc': {
      if (req.headers.metadata !== 'true') return bad(400, 'Required metadata header not specified');
      const authorization = String(req.headers.authorization ?? '');
      if (state.arcSecret && authorization === `Basic ${state.arcSecret}`) {
        state.arcSecret = undefined;
        return undefined;
      }
      // A fresh secret per challenge, readable only by whoever can read the agent's token folder.
      state.arcSecret = randomBytes(32).toString('hex');
      mkdirSync(dirname(keyFile.written), { recursive: true });
      writeFileSync(keyFile.written, state.arcSecret, { mode: 0o600 });
      return { status: 401, headers: { 'www-authenticate': `Basic realm=${keyFile.advertised}` }, body: '' };
    }
  }
}

function pick(
  kind: ManagedIdentityEndpointKind,
  identities: ManagedIdentitySpec[],
  query: URLSearchParams,
): ManagedIdentitySpec | undefined {
  // Each source has its own spelling (MSAL's ManagedIdentityUserAssignedIdQueryParameterNames).
  const clientId = query.get(kind === 'MachineLearning' ? 'clientid' : 'client_id');
  const resourceId = query.get(kind === 'AzureArc' ? 'msi_res_id' : 'mi_res_id')?.toLowerCase();
  const objectId = query.get('object_id');
  if (kind === 'CloudShell' && (clientId || resourceId || objectId)) return undefined;
  if (clientId) return identities.find((i) => i.clientId === clientId);
  if (resourceId) return identities.find((i) => i.resourceId?.toLowerCase() === resourceId);
  if (objectId) return identities.find((i) => i.objectId === objectId);
  return identities.find((i) => i.systemAssigned) ?? (identities.length === 1 ? identities[0] : undefined);
}

/**
 * A fake Google Cloud for tests, behind a fake world's proxy at the real hostnames
 * (research/gcp-gar.md §5): the metadata server, STS, IAM Credentials, Cloud Storage signed URLs
 * (what `google-dockercfg-url` names) and Artifact Registry / Container Registry endpoints. Each is
 * strict where Google is: the metadata server wants `Metadata-Flavor: Google`, Cloud Storage wants
 * an unexpired signature and no other credential on the request, STS verifies the subject token's signature, issuer, audience and expiry
 * against the fake issuer, IAM Credentials impersonates only for allowed principals, and the
 * registry accepts only access tokens this fake issued, through the Docker token handshake real
 * clients (skopeo) perform. Faults and call counts come from the kit's fake servers; endpoints are
 * labelled `metadata.token`, `sts.token`, `iam.generateAccessToken`, `registry.token`, ...
 */
import { randomBytes } from 'node:crypto';
import type { FakeRequest, FakeResponse, FakeServer, FakeWorld, Fault } from '../../../core/testing/index.ts';
import { type Pull, registryEndpoint, registryHandler } from './registry.ts';
import { type FakeStorage, storageEndpoint, storageHandler } from './storage.ts';

export type { Pull } from './registry.ts';
export type { FakeStorage } from './storage.ts';

/** A registry login the fake registries accept besides Google access tokens (a dockercfg entry's). */
export interface RegistryLogin {
  username: string;
  password: string;
  /** Who a pull with it is recorded as. */
  identity: string;
}

export interface FakeWorkloadIdentityPool {
  /** The STS audience of the pool provider: `//iam.googleapis.com/...` or `identitynamespace:...`. */
  stsAudience: string;
  /** What the subject token's `aud` must contain (the provider's allowed audience). */
  tokenAudience: string;
}

export interface FakeGoogleCloudOptions {
  /** Pool providers STS knows. */
  pools?: FakeWorkloadIdentityPool[];
  /** Google service accounts IAM Credentials knows, each with the principals allowed to impersonate it. */
  serviceAccounts?: Record<string, string[]>;
  /** The node's default service account; null: the node has none (the token endpoint 404s). */
  nodeServiceAccount?: string | null;
  /** Registry hosts served (port 443). */
  registryHosts?: string[];
  /** Lifetime of metadata and STS access tokens (default 3599 and 3600, as Google's). */
  metadataTokenSeconds?: number;
  stsTokenSeconds?: number;
  /** Instance attributes (`google-dockercfg`, `google-dockercfg-url`, ...), served as text. */
  attributes?: Record<string, string>;
  /** Logins the registries accept as Basic credentials, besides access tokens. */
  registryLogins?: RegistryLogin[];
  /** Cloud Storage objects (`/bucket/name` -> body), readable only through `storage.signedUrl`. */
  storageObjects?: Record<string, string>;
}

export interface IssuedToken {
  token: string;
  /** The node's service account email, a federated principal, or an impersonated service account. */
  identity: string;
  via: 'metadata' | 'sts' | 'iam';
  expiresAt: number;
}

export interface FakeGoogleCloud {
  metadata: FakeServer;
  sts: FakeServer;
  iamCredentials: FakeServer;
  registry: FakeServer;
  /** Cloud Storage at storage.googleapis.com, and the signed URLs it honours. */
  storage: FakeStorage;
  /** The instance attributes, live: a test may set or delete one between execs. */
  attributes: Record<string, string>;
  /** The Cloud Storage objects, live. */
  storageObjects: Record<string, string>;
  /** Every access token handed out, in order. */
  issued: IssuedToken[];
  /** The identity an access token stands for, if this fake issued it. */
  whoIs(accessToken: string): string | undefined;
  /** Manifest fetches that got through, with the identity that made them. */
  pulls: Pull[];
  /** `host:port` of the metadata server on loopback, for GCE_METADATA_HOST. */
  metadataHost: string;
}

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/** Google's throttling answer (status RESOURCE_EXHAUSTED), for `server.faults.push`. */
export const RESOURCE_EXHAUSTED: Fault = {
  status: 429,
  body: { error: { code: 429, message: 'Quota exceeded for quota metric.', status: 'RESOURCE_EXHAUSTED' } },
};
export const UNAVAILABLE: Fault = {
  status: 503,
  body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } },
};

/** The federated principal IAM sees for a subject of a pool (what roles/iam.workloadIdentityUser is granted to). */
export function principalFor(stsAudience: string, subject: string): string {
  const namespace = /^identitynamespace:([^:]+):/.exec(stsAudience);
  if (namespace) {
    const [, ns, sa] = /^system:serviceaccount:([^:]+):(.+)$/.exec(subject) ?? [];
    return `principal://iam.googleapis.com/projects/-/locations/global/workloadIdentityPools/${namespace[1]}/subject/ns/${ns}/sa/${sa}`;
  }
  const pool = stsAudience.replace(/^\/\//, '').replace(/\/providers\/[^/]+$/, '');
  return `principal://${pool}/subject/${subject}`;
}

export async function startFakeGoogleCloud(
  world: FakeWorld,
  options: FakeGoogleCloudOptions = {},
): Promise<FakeGoogleCloud> {
  const issued: IssuedToken[] = [];
  const pulls: Pull[] = [];
  const attributes = { ...options.attributes };
  const storageObjects = { ...options.storageObjects };
  const issue = (identity: string, via: IssuedToken['via'], seconds: number): IssuedToken => {
    const record = {
      token: `ya29.${via}-${randomBytes(24).toString('base64url')}`,
      identity,
      via,
      expiresAt: Date.now() + seconds * 1000,
    };
    issued.push(record);
    return record;
  };
  const valid = (token: string | undefined, via?: IssuedToken['via']) =>
    issued.find((t) => t.token === token && t.expiresAt > Date.now() && (via === undefined || t.via === via));

  const metadata = await world.serve(
    ['metadata.google.internal', '169.254.169.254'],
    metadataHandler(options, attributes, issue),
    {
      tls: false,
      name: 'metadata',
      label: (req) => `metadata.${req.url.pathname.split('/').pop() || 'list'}`,
    },
  );
  const sts = await world.serve(['sts.googleapis.com'], stsHandler(world, options, issue), {
    name: 'sts',
    label: () => 'sts.token',
  });
  const iamCredentials = await world.serve(['iamcredentials.googleapis.com'], iamHandler(options, issue, valid), {
    name: 'iamcredentials',
    label: () => 'iam.generateAccessToken',
  });
  const registryHosts = options.registryHosts ?? [
    'us-docker.pkg.dev',
    'europe-west1-docker.pkg.dev',
    'gcr.io',
    'eu.gcr.io',
  ];
  const login = (username: string, password: string) =>
    ['_token', 'oauth2accesstoken'].includes(username)
      ? valid(password)
      : options.registryLogins?.find((l) => l.username === username && l.password === password);
  const registry = await world.serve(registryHosts, registryHandler(login, pulls), {
    name: 'registry',
    label: registryEndpoint,
  });
  const signatures = new Map<string, number>();
  const storageServer = await world.serve(['storage.googleapis.com'], storageHandler(storageObjects, signatures), {
    name: 'storage',
    label: storageEndpoint,
  });
  const storage: FakeStorage = Object.assign(storageServer, {
    signedUrl(path: string, expiresInSeconds = 600) {
      const signature = randomBytes(32).toString('hex');
      signatures.set(signature, Date.now() + expiresInSeconds * 1000);
      return `https://storage.googleapis.com${path}?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Expires=${expiresInSeconds}&X-Goog-Signature=${signature}`;
    },
  });
  return {
    metadata,
    sts,
    iamCredentials,
    registry,
    storage,
    attributes,
    storageObjects,
    issued,
    whoIs: (token) => valid(token)?.identity,
    pulls,
    metadataHost: `127.0.0.1:${metadata.port}`,
  };
}

type Issue = (identity: string, via: IssuedToken['via'], seconds: number) => IssuedToken;
type Valid = (token: string | undefined, via?: IssuedToken['via']) => IssuedToken | undefined;

const FLAVOR = { 'Metadata-Flavor': 'Google' };

/** GCE metadata: refuses requests without Metadata-Flavor, and proxied ones (X-Forwarded-For), as Google's does. */
function metadataHandler(options: FakeGoogleCloudOptions, attributes: Record<string, string>, issue: Issue) {
  const email =
    options.nodeServiceAccount === undefined
      ? '1234-compute@developer.gserviceaccount.com'
      : options.nodeServiceAccount;
  return (req: FakeRequest): FakeResponse => {
    if (req.headers['metadata-flavor'] !== 'Google' || req.headers['x-forwarded-for'] !== undefined) {
      return {
        status: 403,
        headers: { ...FLAVOR, 'content-type': 'text/html' },
        body: 'Missing required header "Metadata-Flavor": "Google"',
      };
    }
    const attribute = /^\/computeMetadata\/v1\/instance\/attributes\/([^/]+)$/.exec(req.url.pathname)?.[1];
    if (attribute !== undefined && req.method === 'GET' && Object.hasOwn(attributes, attribute)) {
      return { headers: { ...FLAVOR, 'content-type': 'application/text' }, body: attributes[attribute] };
    }
    const base = '/computeMetadata/v1/instance/service-accounts/';
    if (!req.url.pathname.startsWith(base) || req.method !== 'GET' || !email) {
      return { status: 404, headers: { ...FLAVOR, 'content-type': 'text/html' }, body: 'Not Found' };
    }
    const path = req.url.pathname.slice(base.length);
    if (path === '') return { headers: { ...FLAVOR, 'content-type': 'text/plain' }, body: `default/\n${email}/\n` };
    if (path === 'default/email' || path === `${email}/email`)
      return { headers: { ...FLAVOR, 'content-type': 'text/plain' }, body: email };
    if (path === 'default/token' || path === `${email}/token`) {
      const seconds = options.metadataTokenSeconds ?? 3599;
      const token = issue(email, 'metadata', seconds);
      return { headers: FLAVOR, body: { access_token: token.token, expires_in: seconds, token_type: 'Bearer' } };
    }
    return { status: 404, headers: { ...FLAVOR, 'content-type': 'text/html' }, body: 'Not Found' };
  };
}

function oauthError(error: string, description: string, status = 400): FakeResponse {
  return { status, body: { error, error_description: description } };
}

/** Both encodings STS accepts: JSON (auth-provider-gcp) and form (RFC 8693, google-auth-library). */
function stsFields(req: FakeRequest): Record<string, string> | undefined {
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) {
    try {
      return JSON.parse(req.body) as Record<string, string>;
    } catch {
      return undefined;
    }
  }
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(req.body));
  return undefined;
}

function stsHandler(world: FakeWorld, options: FakeGoogleCloudOptions, issue: Issue) {
  return async (req: FakeRequest): Promise<FakeResponse> => {
    if (req.method !== 'POST' || req.url.pathname !== '/v1/token') return { status: 404, body: { error: 'not_found' } };
    const fields = stsFields(req);
    if (!fields) return oauthError('invalid_request', 'Request must be JSON or application/x-www-form-urlencoded.');
    if (fields.grant_type !== TOKEN_EXCHANGE)
      return oauthError('unsupported_grant_type', `Unsupported grant_type ${fields.grant_type}.`);
    if (fields.requested_token_type !== 'urn:ietf:params:oauth:token-type:access_token') {
      return oauthError('invalid_request', 'Invalid value for "requested_token_type".');
    }
    if (
      !['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token'].includes(
        fields.subject_token_type ?? '',
      )
    ) {
      return oauthError('invalid_request', 'Invalid value for "subject_token_type".');
    }
    if (fields.scope !== undefined && !fields.scope.split(' ').includes(CLOUD_PLATFORM)) {
      return oauthError('invalid_scope', 'The requested scope is not allowed.');
    }
    const pool = options.pools?.find((p) => p.stsAudience === fields.audience);
    if (!pool) {
      return oauthError(
        'invalid_request',
        'Invalid value for "audience". This value should be the full resource name of the Identity Provider.',
      );
    }
    let subject: string;
    try {
      const claims = await world.issuer.verify(fields.subject_token ?? '', { audience: pool.tokenAudience });
      subject = String(claims.sub);
    } catch (error) {
      return oauthError(
        'invalid_grant',
        `The subject token is not valid for this provider: ${(error as Error).message}`,
      );
    }
    const seconds = options.stsTokenSeconds ?? 3600;
    const token = issue(principalFor(pool.stsAudience, subject), 'sts', seconds);
    return {
      body: {
        access_token: token.token,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: seconds,
      },
    };
  };
}

function apiError(status: number, code: string, message: string): FakeResponse {
  return { status, body: { error: { code: status, message, status: code } } };
}

const GENERATE_PATH = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/;

function iamHandler(options: FakeGoogleCloudOptions, issue: Issue, valid: Valid) {
  return (req: FakeRequest): FakeResponse => {
    const match = GENERATE_PATH.exec(req.url.pathname);
    if (req.method !== 'POST' || !match) return apiError(404, 'NOT_FOUND', 'Not found.');
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const caller = valid(bearer);
    if (!caller) return apiError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    const email = decodeURIComponent(match[1] as string);
    const allowed = options.serviceAccounts?.[email];
    if (!allowed?.includes(caller.identity)) {
      return apiError(
        403,
        'PERMISSION_DENIED',
        `Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).`,
      );
    }
    let body: { scope?: unknown; lifetime?: unknown };
    try {
      body = JSON.parse(req.body) as typeof body;
    } catch {
      return apiError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    const lifetime = /^(\d+)s$/.exec(String(body.lifetime ?? '3600s'));
    if (!Array.isArray(body.scope) || body.scope.length === 0 || !lifetime || Number(lifetime[1]) > 43_200) {
      return apiError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.');
    }
    const seconds = Number(lifetime[1]);
    const token = issue(email, 'iam', seconds);
    return { body: { accessToken: token.token, expireTime: new Date(token.expiresAt).toISOString() } };
  };
}

/**
 * A fake EC2 instance metadata service that insists on IMDSv2: a session token from
 * `PUT /latest/api/token` must accompany every read, as on instances with `HttpTokens=required`.
 */
import { randomBytes } from 'node:crypto';
import type { FakeRequest, FakeResponse } from '../../../core/testing/index.ts';
import type { FakeIam } from './iam.ts';

const ROLE_PATH = '/latest/meta-data/iam/security-credentials/';
/** Instance role credentials live about six hours. */
const INSTANCE_CREDENTIAL_MS = 6 * 60 * 60 * 1000;

export interface ImdsOptions {
  iam: FakeIam;
  /** The instance profile's role name; undefined for an instance without one. */
  role?: string;
  now?: () => number;
}

export function imdsLabel(req: FakeRequest): string {
  if (req.url.pathname === '/latest/api/token') return 'token';
  return req.url.pathname === ROLE_PATH ? 'role' : 'credentials';
}

export function imdsHandler(options: ImdsOptions): (req: FakeRequest) => FakeResponse {
  const sessions = new Set<string>();
  return (req) => {
    const now = options.now?.() ?? Date.now();
    if (req.url.pathname === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (req.method !== 'PUT' || !(ttl >= 1 && ttl <= 21600)) return { status: 400, body: 'bad token request' };
      const session = randomBytes(24).toString('base64');
      sessions.add(session);
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: session };
    }
    if (!sessions.has(String(req.headers['x-aws-ec2-metadata-token']))) return { status: 401, body: 'IMDSv2 required' };
    if (!options.role) return { status: 404, body: 'not found' };
    if (req.url.pathname === ROLE_PATH)
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: options.role };
    if (req.url.pathname !== `${ROLE_PATH}${options.role}`) return { status: 404, body: 'not found' };
    const key = options.iam.mintKey(`instance-role:${options.role}`, {
      temporary: true,
      lifetimeMs: INSTANCE_CREDENTIAL_MS,
      now,
    });
    return {
      status: 200,
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({
        Code: 'Success',
        LastUpdated: new Date(now).toISOString(),
        Type: 'AWS-HMAC',
        AccessKeyId: key.accessKeyId,
        SecretAccessKey: key.secretAccessKey,
        Token: key.sessionToken,
        Expiration: new Date(key.expiresAt ?? now).toISOString(),
      }),
    };
  };
}

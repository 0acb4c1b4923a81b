/**
 * AWS Signature Version 4, verified the way AWS verifies it: rebuild the canonical request from what
 * arrived, derive the signing key from the secret the key id maps to, compare. Written from the
 * SigV4 specification rather than with the SDK's signer, so the fake does not share the client's
 * bugs. Also checks the credential scope (region, service) and the session token.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FakeRequest } from '../../../core/testing/index.ts';
import type { AccessKey, FakeIam } from './iam.ts';

export interface SigV4Expectation {
  region: string;
  service: string;
  now?: number;
}

export type SigV4Result = { ok: true; key: AccessKey } | { ok: false; status: number; code: string; message: string };

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
/** AWS refuses requests whose X-Amz-Date is more than 15 minutes off. */
const MAX_SKEW_MS = 15 * 60 * 1000;

export function verifySigV4(req: FakeRequest, iam: FakeIam, expect: SigV4Expectation): SigV4Result {
  const match = AUTH.exec(header(req, 'authorization') ?? '');
  if (!match) return deny(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  const [, keyId = '', date = '', region, service, signedHeaders = '', signature = ''] = match;
  const key = iam.keys.get(keyId);
  if (!key) return deny(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (region !== expect.region || service !== expect.service) {
    return deny(
      403,
      'InvalidSignatureException',
      `Credential should be scoped to a valid region and service: ${expect.region}/${expect.service}`,
    );
  }
  const amzDate = header(req, 'x-amz-date') ?? '';
  const now = expect.now ?? Date.now();
  if (!amzDate.startsWith(date) || !(Math.abs(parseAmzDate(amzDate) - now) <= MAX_SKEW_MS)) {
    return deny(403, 'InvalidSignatureException', 'Signature expired or X-Amz-Date is not the credential date');
  }
  const signed = signedHeaders.split(';');
  if (!signed.includes('host') || !signed.includes('x-amz-date')) {
    return deny(403, 'InvalidSignatureException', 'host and x-amz-date must be signed');
  }
  if (key.sessionToken !== undefined) {
    if (header(req, 'x-amz-security-token') !== key.sessionToken || !signed.includes('x-amz-security-token')) {
      return deny(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    if (key.expiresAt !== undefined && key.expiresAt <= now) {
      return deny(400, 'ExpiredTokenException', 'The security token included in the request is expired');
    }
  }
  const canonical = canonicalRequest(req, signed);
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const signingKey = [date, region, service, 'aws4_request'].reduce<Buffer | string>(
    (k, part) => hmac(k, part),
    `AWS4${key.secretAccessKey}`,
  );
  const expected = hmac(signingKey, stringToSign).toString('hex');
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    return deny(
      403,
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
  return { ok: true, key };
}

function canonicalRequest(req: FakeRequest, signed: string[]): string {
  const query = [...req.url.searchParams.entries()]
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .sort()
    .join('&');
  const headers = signed.map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = header(req, 'x-amz-content-sha256') ?? sha256(req.body);
  const path = req.url.pathname
    .split('/')
    .map((s) => encode(decodeURIComponent(s)))
    .join('/');
  return [req.method, path || '/', query, headers, signed.join(';'), payloadHash].join('\n');
}

function header(req: FakeRequest, name: string): string | undefined {
  if (name === 'host') return req.headers.host as string | undefined;
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

function encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest();
const deny = (status: number, code: string, message: string): SigV4Result => ({ ok: false, status, code, message });

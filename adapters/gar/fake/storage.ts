/**
 * Fake Cloud Storage for `google-dockercfg-url`, which administrators usually point at a signed
 * URL: an object is served only to a GET whose `X-Goog-Signature` the fake issued and whose expiry
 * has not passed, and, as Cloud Storage, only when the request carries no other credential (an
 * `Authorization` header next to a signature is refused): so a client that sent the metadata
 * server's header or a token along with the URL is caught. Errors are Cloud Storage's XML.
 */
import type { FakeRequest, FakeResponse, FakeServer } from '../../../core/testing/index.ts';

export interface FakeStorage extends FakeServer {
  /** A V4-style signed URL for an object path (`/bucket/name`), valid for `expiresInSeconds` (default 600). */
  signedUrl(path: string, expiresInSeconds?: number): string;
}

export function storageEndpoint(): string {
  return 'storage.object';
}

function xmlError(status: number, code: string, message: string): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'application/xml; charset=UTF-8' },
    body: `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  };
}

export function storageHandler(objects: Record<string, string>, signatures: Map<string, number>) {
  return (req: FakeRequest): FakeResponse => {
    if (req.method !== 'GET') return xmlError(405, 'MethodNotAllowed', 'The specified method is not allowed.');
    const signature = req.url.searchParams.get('X-Goog-Signature');
    if (!signature) return xmlError(401, 'AccessDenied', 'Anonymous caller does not have storage.objects.get access.');
    if (req.headers.authorization !== undefined || req.headers['metadata-flavor'] !== undefined) {
      return xmlError(400, 'InvalidArgument', 'Your request has multiple authentication methods.');
    }
    const expiresAt = signatures.get(signature);
    if (expiresAt === undefined) {
      return xmlError(
        403,
        'SignatureDoesNotMatch',
        'Access denied. The request signature we calculated does not match.',
      );
    }
    if (expiresAt <= Date.now()) return xmlError(400, 'ExpiredToken', 'Invalid argument. Request has expired.');
    const path = decodeURIComponent(req.url.pathname);
    const body = Object.hasOwn(objects, path) ? objects[path] : undefined;
    if (body === undefined) return xmlError(404, 'NoSuchKey', 'The specified key does not exist.');
    return { headers: { 'content-type': 'application/json' }, body };
  };
}

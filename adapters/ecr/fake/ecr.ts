/**
 * Fake ECR and ECR Public GetAuthorizationToken endpoints (awsJson1_1; research/aws-ecr.md §5.1-5.2).
 * Every request must carry a valid SigV4 signature for the right region and service, with the
 * session token of temporary keys. The answer says 12 h, as ECR's always does; the registries accept
 * the token only until min(12 h, the signing session's expiry), the conservative reading of how a
 * token from temporary credentials behaves (GoogleContainerTools/kaniko#3199).
 */
import type { FakeRequest, FakeResponse } from '../../../core/testing/index.ts';
import type { FakeIam } from './iam.ts';
import { verifySigV4 } from './sigv4.ts';

const TARGETS = {
  private: 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
  public: 'SpencerFrontendService.GetAuthorizationToken',
} as const;
/** ECR authorization tokens live 12 hours. */
export const ECR_TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

export interface EcrOptions {
  iam: FakeIam;
  kind: 'private' | 'public';
  /** The region a request's host names (the fake serves several regional hosts). */
  regionOf(host: string): string | undefined;
  /** `https://<registry>` for a region's proxyEndpoint. */
  registryFor(region: string): string;
  now?: () => number;
}

export function ecrLabel(req: FakeRequest): string {
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' ? (target.split('.').pop() ?? target) : 'unknown';
}

export function ecrHandler(options: EcrOptions): (req: FakeRequest) => FakeResponse {
  return (req) => {
    const now = options.now?.() ?? Date.now();
    const region = options.regionOf(req.host);
    if (!region) return awsJsonError(400, 'UnrecognizedClientException', `no ECR endpoint ${req.host}`);
    if (req.method !== 'POST' || req.headers['x-amz-target'] !== TARGETS[options.kind]) {
      return awsJsonError(400, 'UnknownOperationException', 'Unknown operation');
    }
    if (!String(req.headers['content-type']).startsWith('application/x-amz-json-1.1')) {
      return awsJsonError(400, 'SerializationException', 'content-type must be application/x-amz-json-1.1');
    }
    const service = options.kind === 'public' ? 'ecr-public' : 'ecr';
    const auth = verifySigV4(req, options.iam, { region, service, now });
    if (!auth.ok) return awsJsonError(auth.status, auth.code, auth.message);
    if (!options.iam.mayGetAuthorizationToken(auth.key.principal)) {
      return awsJsonError(
        400,
        'AccessDeniedException',
        `User: ${auth.key.principal} is not authorized to perform: ${service}:GetAuthorizationToken on resource: *`,
      );
    }
    const expiresAt = now + ECR_TOKEN_LIFETIME_MS;
    const worksUntil = Math.min(expiresAt, auth.key.expiresAt ?? Number.POSITIVE_INFINITY);
    const scope = options.kind === 'public' ? 'public' : `private:${region}`;
    const password = options.iam.issuePassword(auth.key.principal, scope, worksUntil);
    const data = {
      authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
      // Epoch seconds as a JSON number, fractional as AWS sends it.
      expiresAt: expiresAt / 1000,
    };
    const body =
      options.kind === 'public'
        ? { authorizationData: data }
        : { authorizationData: [{ ...data, proxyEndpoint: options.registryFor(region) }] };
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(body) };
  };
}

/** An awsJson error: `__type` names the exception, which the SDK turns into the error's name. */
export function awsJsonError(status: number, type: string, message: string): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type },
    body: JSON.stringify({ __type: type, message }),
  };
}

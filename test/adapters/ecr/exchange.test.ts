/**
 * STS's refusals of the pod's token, worded as upstream opens them ("failed to assume role") plus
 * who asked for which role and the fix (research/aws-ecr.md §5.3), with the right exit kind.
 */
import { describe, expect, it } from 'vitest';
import { describeStsRefusal } from '../../../adapters/ecr/exchange.ts';
import { stsError } from '../../../adapters/ecr/fake/index.ts';
import { cloudText } from '../../../core/index.ts';

const identity = {
  roleArn: 'arn:aws:iam::123456789012:role/puller',
  token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
  subject: 'system:serviceaccount:team-a:puller',
  issuer: 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC',
  region: 'us-west-2',
};

describe('describeStsRefusal (upstream "failed to assume role: <err>", plus who and the fix)', () => {
  it.each([
    { code: 'AccessDenied', status: 403, kind: 'denied', fix: 'trust policy of arn:aws:iam::123456789012:role/puller' },
    {
      code: 'InvalidIdentityToken',
      status: 400,
      kind: 'denied',
      fix: 'IAM OIDC identity provider for https://oidc.eks.us-west-2.amazonaws.com/id/ABC',
    },
    { code: 'ExpiredTokenException', status: 400, kind: 'token', fix: 'node clock' },
    { code: 'ValidationError', status: 400, kind: 'usage', fix: 'fix the role ARN' },
    { code: 'RegionDisabledException', status: 403, kind: 'usage', fix: 'activate STS in us-west-2' },
    { code: 'IDPRejectedClaim', status: 403, kind: 'denied', fix: 'claims the trust policy' },
    { code: 'IDPCommunicationError', status: 400, kind: 'unavailable', fix: 'IDPCommunicationError' },
    { code: 'Throttling', status: 400, kind: 'unavailable', fix: 'Throttling' },
    { code: 'ServiceUnavailable', status: 503, kind: 'unavailable', fix: 'ServiceUnavailable' },
    { code: 'MalformedPolicyDocument', status: 400, kind: 'denied', fix: 'MalformedPolicyDocument' },
  ])('$code → $kind', ({ code, status, kind, fix }) => {
    const fake = stsError(status, code, 'the cloud message');
    const text = String(fake.body);
    const reason = cloudText(`${code}: the cloud message`);
    const error = describeStsRefusal({ status, headers: {}, text, reason }, identity);
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(
      /^failed to assume role arn:aws:iam::123456789012:role\/puller for system:serviceaccount:team-a:puller: /,
    );
    expect(error.message).toContain('the cloud message');
    expect(error.message).toContain(fix);
    expect(error.message).not.toContain(identity.token);
  });
});

/**
 * Decoding ECR's authorization token (upstream Test_GetCredentials_* "invalid authorization token"
 * rows and research/aws-ecr.md §1.7, §3.9), and how SDK errors are sorted into retry / fail.
 */
import { describe, expect, it } from 'vitest';
import { isTransient, stsClientConfig } from '../../../adapters/ecr/aws.ts';
import { describeStsError } from '../../../adapters/ecr/exchange.ts';
import { decodeAuthorizationToken } from '../../../adapters/ecr/index.ts';
import { CredkitError } from '../../../core/index.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('decodeAuthorizationToken', () => {
  it.each([
    { name: 'user:pass (upstream success)', token: b64('user:pass'), username: 'user', password: 'pass' },
    { name: 'AWS username', token: b64('AWS:secret'), username: 'AWS', password: 'secret' },
    { name: 'split on the first colon only', token: b64('AWS:pa:ss'), username: 'AWS', password: 'pa:ss' },
    { name: 'empty password accepted', token: b64('AWS:'), username: 'AWS', password: '' },
    { name: 'empty username accepted', token: b64(':pw'), username: '', password: 'pw' },
    {
      name: 'CR/LF skipped, as Go does',
      token: `${b64('AWS:secret').slice(0, 4)}\r\n${b64('AWS:secret').slice(4)}`,
      username: 'AWS',
      password: 'secret',
    },
  ])('$name', ({ token, username, password }) => {
    expect(decodeAuthorizationToken(token)).toEqual({ username, password });
  });

  it.each([
    {
      name: 'no colon (upstream "invalid authorization token")',
      token: b64('foo'),
      message: 'error parsing username and password from authorization token',
    },
    { name: 'not base64', token: 'QVdT%OnBhc3M=', message: 'illegal base64 data at input byte 4' },
    {
      name: 'URL-safe alphabet (Go StdEncoding refuses)',
      token: 'QVdT-_pw',
      message: 'illegal base64 data at input byte 4',
    },
    {
      name: 'missing padding (Go StdEncoding refuses)',
      token: 'QVdTOnBhc3M',
      message: 'illegal base64 data (length or padding)',
    },
  ])('refuses $name', ({ token, message }) => {
    expect(() => decodeAuthorizationToken(token)).toThrow(message);
  });

  it('never puts the token or the password in its errors', () => {
    const token = b64('no-colon-but-a-secret-value');
    try {
      decodeAuthorizationToken(token);
    } catch (error) {
      expect((error as Error).message).not.toContain(token);
      expect((error as Error).message).not.toContain('secret-value');
    }
  });
});

const sdkError = (name: string, status?: number, message = 'cloud says no') =>
  Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

describe('isTransient (retry or fail)', () => {
  it.each([
    { name: 'ECR ThrottlingException', error: sdkError('ThrottlingException', 400), retry: true },
    { name: 'STS Throttling', error: sdkError('Throttling', 400), retry: true },
    { name: 'ServerException 500', error: sdkError('ServerException', 500), retry: true },
    { name: 'unknown 503', error: sdkError('Unknown', 503), retry: true },
    { name: 'HTTP 429', error: sdkError('Unknown', 429), retry: true },
    { name: 'STS IDPCommunicationError', error: sdkError('IDPCommunicationError', 400), retry: true },
    {
      name: 'STS IDPCommunicationErrorException (SDK class)',
      error: sdkError('IDPCommunicationErrorException', 400),
      retry: true,
    },
    { name: 'request timeout', error: sdkError('TimeoutError'), retry: true },
    {
      name: 'connection reset',
      error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      retry: true,
    },
    { name: 'core network error', error: new CredkitError('unavailable', 'cannot reach x'), retry: true },
    { name: 'AccessDeniedException', error: sdkError('AccessDeniedException', 400), retry: false },
    { name: 'STS AccessDenied', error: sdkError('AccessDenied', 403), retry: false },
    { name: 'InvalidIdentityToken', error: sdkError('InvalidIdentityToken', 400), retry: false },
    { name: 'deadline', error: new CredkitError('deadline', 'late'), retry: false },
    { name: 'abort', error: sdkError('AbortError'), retry: false },
  ])('$name → $retry', ({ error, retry }) => {
    expect(isTransient(error)).toBe(retry);
  });
});

describe('describeStsError (upstream "failed to assume role: <err>", plus who and the fix)', () => {
  const identity = {
    roleArn: 'arn:aws:iam::123456789012:role/puller',
    token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
    subject: 'system:serviceaccount:team-a:puller',
    issuer: 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC',
    region: 'us-west-2',
  };
  it.each([
    {
      name: 'AccessDenied',
      code: 'AccessDenied',
      status: 403,
      kind: 'denied',
      fix: 'trust policy of arn:aws:iam::123456789012:role/puller',
    },
    {
      name: 'InvalidIdentityToken (wire code)',
      code: 'InvalidIdentityToken',
      status: 400,
      kind: 'denied',
      fix: 'IAM OIDC identity provider for https://oidc.eks.us-west-2.amazonaws.com/id/ABC',
    },
    {
      name: 'InvalidIdentityTokenException (JS SDK class name)',
      code: 'InvalidIdentityTokenException',
      status: 400,
      kind: 'denied',
      fix: 'IAM OIDC identity provider for https://oidc.eks.us-west-2.amazonaws.com/id/ABC',
    },
    { name: 'ExpiredTokenException', code: 'ExpiredTokenException', status: 400, kind: 'token', fix: 'node clock' },
    { name: 'ValidationError', code: 'ValidationError', status: 400, kind: 'usage', fix: 'fix the role ARN' },
    {
      name: 'RegionDisabledException',
      code: 'RegionDisabledException',
      status: 403,
      kind: 'usage',
      fix: 'activate STS in us-west-2',
    },
    {
      name: 'IDPRejectedClaimException',
      code: 'IDPRejectedClaimException',
      status: 403,
      kind: 'denied',
      fix: 'claims the trust policy',
    },
    {
      name: 'IDPCommunicationErrorException after retries',
      code: 'IDPCommunicationErrorException',
      status: 400,
      kind: 'unavailable',
      fix: 'IDPCommunicationError',
    },
    { name: 'throttled to the end', code: 'Throttling', status: 400, kind: 'unavailable', fix: 'Throttling' },
    {
      name: 'anything else',
      code: 'MalformedPolicyDocument',
      status: 400,
      kind: 'denied',
      fix: 'MalformedPolicyDocument',
    },
  ])('$name → $kind', ({ code, status, kind, fix }) => {
    const error = describeStsError(sdkError(code, status, 'the cloud message'), identity);
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(
      /^failed to assume role arn:aws:iam::123456789012:role\/puller for system:serviceaccount:team-a:puller: /,
    );
    expect(error.message).toContain('the cloud message');
    expect(error.message).toContain(fix);
    expect(error.message).not.toContain(identity.token);
  });
});

describe('stsClientConfig (AWS_STS_REGIONAL_ENDPOINTS, which the JS SDK ignores)', () => {
  const handler = {} as Parameters<typeof stsClientConfig>[2];
  it.each([
    { name: 'default: regional', env: {}, region: 'us-west-2', expected: { region: 'us-west-2' } },
    {
      name: 'regional',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'regional' },
      region: 'us-west-2',
      expected: { region: 'us-west-2' },
    },
    {
      name: 'legacy in a legacy region: global, signed for us-east-1',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' },
      region: 'eu-west-1',
      expected: { region: 'us-east-1', endpoint: 'https://sts.amazonaws.com' },
    },
    {
      name: 'legacy in a newer region: regional',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' },
      region: 'ap-east-1',
      expected: { region: 'ap-east-1' },
    },
    {
      name: 'legacy in China: regional',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' },
      region: 'cn-north-1',
      expected: { region: 'cn-north-1' },
    },
    {
      name: 'legacy but AWS_ENDPOINT_URL_STS wins',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy', AWS_ENDPOINT_URL_STS: 'https://vpce' },
      region: 'us-west-2',
      expected: { region: 'us-west-2' },
    },
    {
      name: 'legacy but FIPS',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy', AWS_USE_FIPS_ENDPOINT: 'true' },
      region: 'us-east-1',
      expected: { region: 'us-east-1' },
    },
  ])('$name', ({ env, region, expected }) => {
    expect(stsClientConfig(env, region, handler)).toEqual({ ...expected, requestHandler: handler });
  });
});

import { describe, expect, it } from 'vitest';
import { CredkitError } from '../../core/errors.ts';
import { startFakeIssuer } from '../../core/testing/issuer.ts';
import { checkServiceAccountToken, decodeServiceAccountToken } from '../../core/token.ts';

const issuer = await startFakeIssuer();
const NOW = Date.now();

describe('pre-flight token checks', () => {
  it.each([
    { name: 'good token', mint: { audience: 'sts.amazonaws.com' }, expect: 'ok' },
    { name: 'one of several audiences', mint: { audience: ['other', 'sts.amazonaws.com'] }, expect: 'ok' },
    {
      name: 'wrong audience',
      mint: { audience: 'api://AzureADTokenExchange' },
      expect: /token audience is \["api:\/\/AzureADTokenExchange"\], this provider expects sts\.amazonaws\.com/,
    },
    {
      name: 'expired long ago',
      mint: { audience: 'sts.amazonaws.com', expiresInSeconds: -600 },
      expect: /expired \d+s ago/,
    },
    { name: 'expired within skew', mint: { audience: 'sts.amazonaws.com', expiresInSeconds: -10 }, expect: 'ok' },
    {
      name: 'not a service account',
      mint: { audience: 'sts.amazonaws.com', claims: { sub: 'system:node:ip-10-0-0-1' } },
      expect: /is not a service account/,
    },
  ])('$name', async ({ mint, expect: expected }) => {
    const token = await issuer.mint(mint);
    const run = () =>
      checkServiceAccountToken(decodeServiceAccountToken(token), { audience: 'sts.amazonaws.com', now: NOW });
    if (expected === 'ok') {
      expect(run().subject).toBe('system:serviceaccount:default:default');
    } else {
      expect(run).toThrow(expected);
      try {
        run();
      } catch (error) {
        expect((error as CredkitError).kind).toBe('token');
        expect((error as Error).message).not.toContain(token);
      }
    }
  });

  it.each([
    { name: 'not a JWT', token: 'not-a-jwt' },
    { name: 'JWT without sub', token: `eyJhbGciOiJub25lIn0.${Buffer.from('{"aud":"x"}').toString('base64url')}.` },
  ])('$name is a token error', ({ token }) => {
    expect(() => decodeServiceAccountToken(token)).toThrow(CredkitError);
  });

  it('reads the kubernetes.io claims of a TokenRequest-shaped token', async () => {
    const token = await issuer.mint({
      audience: 'a',
      namespace: 'team',
      serviceAccount: 'puller',
      pod: { name: 'p1', uid: 'u1' },
    });
    const claims = decodeServiceAccountToken(token);
    expect(claims['kubernetes.io']?.namespace).toBe('team');
    expect(claims['kubernetes.io']?.serviceaccount?.name).toBe('puller');
    expect(claims['kubernetes.io']?.pod?.name).toBe('p1');
  });
});

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

  const unsigned = (claims: Record<string, unknown>) =>
    `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
  const SA = 'system:serviceaccount:team:puller';

  // Issue 11: a malformed claim is named for what it is, quoted and bounded.
  it.each([
    {
      name: 'aud is a number',
      claims: { sub: SA, aud: 5 },
      message: /token's aud claim is a number \("5"\), want a string or a list of strings/,
    },
    { name: 'aud list of numbers', claims: { sub: SA, aud: [1] }, message: /token's aud claim is a list \("\[1\]"\)/ },
    {
      name: 'exp is a string',
      claims: { sub: SA, exp: 'NaN' },
      message: /token's exp claim is a string \("NaN"\), want a number of seconds/,
    },
    {
      name: 'exp overflows to Infinity',
      claims: { sub: SA, exp: '1e400' },
      raw: true,
      message: /token's exp claim is a number/,
    },
    { name: 'sub is a number', claims: { sub: 5 }, message: /token's sub claim is a number/ },
    { name: 'no sub', claims: { aud: 'x' }, message: /has no subject claim/ },
    {
      name: 'kubernetes.io not an object',
      claims: { sub: SA, 'kubernetes.io': 'x' },
      message: /token's kubernetes\.io claim is a string/,
    },
    {
      name: 'huge subject',
      claims: { sub: `system:serviceaccount:team:${'a'.repeat(100_000)}` },
      check: true,
      message: /subject "system:serviceaccount:team:a+…" \(100027 bytes\) is not a service account/,
    },
    {
      name: 'terminal escapes in the subject',
      claims: { sub: 'system:serviceaccount:team:\u001b[2Jx' },
      check: true,
      message: /subject "system:serviceaccount:team:\\x1b\[2Jx" is not a service account/,
    },
    {
      name: 'namespace not a DNS label',
      claims: { sub: 'system:serviceaccount:Team_1:x' },
      check: true,
      message: /is not a service account/,
    },
  ])('$name', ({ claims, raw, check, message }) => {
    const token = raw
      ? `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims).replace('"1e400"', '1e400')).toString('base64url')}.`
      : unsigned(claims);
    const run = () => {
      const decoded = decodeServiceAccountToken(token);
      if (check) checkServiceAccountToken(decoded, { audience: 'x', now: NOW });
    };
    expect(run).toThrow(message);
    try {
      run();
    } catch (error) {
      expect((error as CredkitError).kind).toBe('token');
      expect(Buffer.byteLength((error as Error).message)).toBeLessThan(400);
      expect((error as Error).message).not.toMatch(/\p{Cc}/u);
    }
  });

  it('lists at most a few audiences', () => {
    const claims = decodeServiceAccountToken(
      unsigned({ sub: SA, aud: Array.from({ length: 1000 }, (_, i) => `a${i}`) }),
    );
    expect(() => checkServiceAccountToken(claims, { audience: 'x', now: NOW })).toThrow(
      /token audience is \["a0", "a1", "a2", "a3", … \(1000 audiences\)\], this provider expects x/,
    );
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

/**
 * Decoding ECR's authorization token (upstream Test_GetCredentials_* "invalid authorization token"
 * rows and research/aws-ecr.md §1.7, §3.9).
 */
import { describe, expect, it } from 'vitest';
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
    for (const token of [b64('no-colon-but-a-secret-value'), 'secret%value-not-base64']) {
      const error = (() => {
        try {
          decodeAuthorizationToken(token);
        } catch (thrown) {
          return thrown;
        }
      })();
      expect(error).toBeInstanceOf(CredkitError);
      expect((error as Error).message).not.toContain(token);
      expect((error as Error).message).not.toContain('secret');
    }
  });
});

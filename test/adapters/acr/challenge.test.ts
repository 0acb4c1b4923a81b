/**
 * The `/v2/` challenge and its Www-Authenticate header: upstream's TestReceiveChallengeFromLoginServer
 * and TestParseAssignments (research/azure-acr.md §3.5, §3.7), with the inputs that make upstream
 * panic turned into errors.
 */
import { describe, expect, it } from 'vitest';
import { parseAuthParams, readChallenge } from '../../../adapters/acr/challenge.ts';

describe('parseAuthParams (upstream TestParseAssignments)', () => {
  it.each([
    { name: 'two quoted values', header: 'a="b",c="d"', params: { a: 'b', c: 'd' } },
    { name: 'spaces around = and ,', header: 'a = "b", c ="d" ', params: { a: 'b', c: 'd' } },
    { name: 'an empty quoted value', header: 'a="",c="d" ', params: { a: '', c: 'd' } },
    { name: 'unquoted last value (upstream panics)', header: 'a="b",c=d', params: { a: 'b', c: 'd' } },
    {
      name: 'unquoted value before a comma (upstream swallows the rest)',
      header: 'a=b,c="d"',
      params: { a: 'b', c: 'd' },
    },
    { name: 'escaped quote inside a value', header: 'a="x\\"y"', params: { a: 'x"y' } },
    { name: 'names are case-insensitive', header: 'Realm="r",SERVICE="s"', params: { realm: 'r', service: 's' } },
    {
      name: 'comma inside quotes',
      header: 'scope="repository:a:pull,push"',
      params: { scope: 'repository:a:pull,push' },
    },
  ])('$name', ({ header, params }) => {
    expect(parseAuthParams(header)).toEqual(params);
  });

  it.each([
    { name: 'empty (upstream: malformed header value)', header: '', error: /malformed header value: no parameters/ },
    { name: 'unterminated quote', header: 'a="b', error: /unterminated quote in a/ },
    { name: 'no value', header: 'a=', error: /parameter a has no value/ },
    { name: 'no =', header: 'a', error: /parameter a has no value/ },
    { name: 'garbage after a value', header: 'a="b" c="d"', error: /expected "," after a/ },
    { name: 'no name', header: '="b"', error: /expected a parameter name/ },
  ])('$name -> error', ({ header, error }) => {
    expect(() => parseAuthParams(header)).toThrow(error);
  });
});

const ACR_HEADER = 'Bearer realm="https://test.azurecr.io/oauth2/token",service="test.azurecr.io"';

describe('readChallenge (upstream TestReceiveChallengeFromLoginServer)', () => {
  it.each([
    { name: '200', status: 200, header: undefined, error: /GET \/v2\/ answered 200, expected 401/ },
    { name: 'firewall 403 (Azure/acr#633)', status: 403, header: undefined, error: /answered 403/ },
    { name: 'no header', status: 401, header: undefined, error: /no Www-Authenticate header/ },
    { name: 'two headers', status: 401, header: ['a', 'b'], error: /2 Www-Authenticate headers/ },
    {
      name: 'not Bearer',
      status: 401,
      header: 'Auth realm="https://test.azurecr.io/oauth2/token",service="test.azurecr.io"',
      error: /scheme is "Auth", expected Bearer/,
    },
    { name: 'empty realm', status: 401, header: 'Bearer realm="",service="test.azurecr.io"', error: /missing realm/ },
    {
      name: 'empty service',
      status: 401,
      header: 'Bearer realm="test.azurecr.io",service=""',
      error: /missing service/,
    },
    { name: 'bare Bearer (upstream panics)', status: 401, header: 'Bearer', error: /no parameters/ },
    { name: 'malformed params', status: 401, header: 'Bearer realm="x', error: /unterminated quote/ },
    {
      name: 'realm is not a URL',
      status: 401,
      header: 'Bearer realm="test.azurecr.io",service="s"',
      error: /is not a URL/,
    },
    {
      name: 'realm on another host: the token must not go there',
      status: 401,
      header: 'Bearer realm="https://evil.example/oauth2/token",service="test.azurecr.io"',
      error: /realm https:\/\/evil.example is not an https ACR endpoint/,
    },
    {
      name: 'realm over plain http',
      status: 401,
      header: 'Bearer realm="http://test.azurecr.io/oauth2/token",service="test.azurecr.io"',
      error: /not an https ACR endpoint/,
    },
  ])('$name -> error', ({ status, header, error }) => {
    const headers = header === undefined ? {} : { 'www-authenticate': header };
    expect(() => readChallenge('test.azurecr.io', { status, headers })).toThrow(error);
  });

  it.each([
    {
      name: 'the ACR challenge',
      header: ACR_HEADER,
      realm: 'https://test.azurecr.io/oauth2/token',
      service: 'test.azurecr.io',
    },
    {
      name: 'lower-case scheme',
      header: ACR_HEADER.replace('Bearer', 'bearer'),
      realm: 'https://test.azurecr.io/oauth2/token',
      service: 'test.azurecr.io',
    },
    {
      name: 'a geo-replica naming its own realm',
      header: 'Bearer realm="https://test.eastus.geo.azurecr.io/oauth2/token",service="test.azurecr.io"',
      realm: 'https://test.eastus.geo.azurecr.io/oauth2/token',
      service: 'test.azurecr.io',
    },
  ])('$name', ({ header, realm, service }) => {
    expect(readChallenge('test.azurecr.io', { status: 401, headers: { 'www-authenticate': header } })).toEqual({
      realm,
      service,
    });
  });
});

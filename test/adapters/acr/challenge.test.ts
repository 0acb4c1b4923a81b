/**
 * The `/v2/` challenge and its Www-Authenticate header: upstream's TestReceiveChallengeFromLoginServer
 * and TestParseAssignments (research/azure-acr.md §3.5, §3.7), with the inputs that make upstream
 * panic turned into errors, and the realm pinned to the registry the image names (issue 11).
 */
import { describe, expect, it } from 'vitest';
import { knownChallenge, parseAuthParams, pinnedRealm, readChallenge } from '../../../adapters/acr/challenge.ts';
import { ERROR_KINDS } from '../../../core/index.ts';

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
  ])('$name', ({ header, realm, service }) => {
    expect(readChallenge('test.azurecr.io', { status: 401, headers: { 'www-authenticate': header } })).toEqual({
      realm,
      service,
    });
  });
});

const pinned = (realm: string) => `Bearer realm="${realm}",service="test.azurecr.io"`;

describe('the realm is pinned to the registry (issue 11; upstream posts the token to any realm)', () => {
  it.each([
    { name: 'another ACR', registry: 'test.azurecr.io', realm: 'https://attacker.azurecr.io/oauth2/token' },
    { name: 'a host that is not ACR', registry: 'test.azurecr.io', realm: 'https://evil.example/oauth2/token' },
    {
      name: 'the right host on another port',
      registry: 'test.azurecr.io',
      realm: 'https://test.azurecr.io:8443/oauth2/token',
    },
    { name: 'plain http', registry: 'test.azurecr.io', realm: 'http://test.azurecr.io/oauth2/token' },
    {
      name: 'userinfo before another host',
      registry: 'test.azurecr.io',
      realm: 'https://test.azurecr.io@evil.example/',
    },
    {
      name: 'the right name in another cloud',
      registry: 'test.azurecr.io',
      realm: 'https://test.azurecr.cn/oauth2/token',
    },
    { name: 'a longer host ending in the right one', registry: 'test.azurecr.io', realm: 'https://x.test.azurecr.io/' },
    {
      name: 'a geo-replica, asked at the base',
      registry: 'test.azurecr.io',
      realm: 'https://test.eastus.geo.azurecr.io/',
    },
    {
      name: 'another geo-replica of the same registry',
      registry: 'test.eastus.geo.azurecr.io',
      realm: 'https://test.westus.geo.azurecr.io/',
    },
    {
      name: "another registry's geo-replica",
      registry: 'test.eastus.geo.azurecr.io',
      realm: 'https://evil.eastus.geo.azurecr.io/',
    },
    {
      name: 'a custom cloud host elsewhere',
      registry: 'myacr.azsacr.local.test',
      realm: 'https://evil.azsacr.local.test/',
    },
  ])('$name: $realm for $registry is refused, as a cloud refusal', ({ registry, realm }) => {
    let error: unknown;
    try {
      readChallenge(registry, { status: 401, headers: { 'www-authenticate': pinned(realm) } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      kind: 'denied',
      message: expect.stringMatching(/refusing to send the token there$/),
    });
    expect(ERROR_KINDS[(error as { kind: 'denied' }).kind]).toBe(5);
  });

  it.each([
    { name: 'the registry itself', registry: 'test.azurecr.io', realm: 'https://test.azurecr.io/oauth2/token' },
    {
      name: 'any path on it (upstream ignores the path too)',
      registry: 'test.azurecr.io',
      realm: 'https://test.azurecr.io/x',
    },
    { name: 'upper-case host', registry: 'test.azurecr.io', realm: 'https://TEST.azurecr.io/oauth2/token' },
    { name: 'port 443 spelled out', registry: 'test.azurecr.io', realm: 'https://test.azurecr.io:443/oauth2/token' },
    {
      name: 'a geo-replica naming itself',
      registry: 'test.eastus.geo.azurecr.io',
      realm: 'https://test.eastus.geo.azurecr.io/oauth2/token',
    },
    {
      name: 'a geo-replica naming its base login server',
      registry: 'test.eastus.geo.azurecr.io',
      realm: 'https://test.azurecr.io/oauth2/token',
    },
    {
      name: 'a custom cloud host naming itself',
      registry: 'myacr.azsacr.local.test',
      realm: 'https://myacr.azsacr.local.test/oauth2/token',
    },
  ])('$name: accepted', ({ registry, realm }) => {
    expect(pinnedRealm(registry, realm)).toBe(new URL(realm).href);
  });
});

describe('knownChallenge: the realm and service ACR names, without the /v2/ round trip', () => {
  it.each([
    { host: 'test.azurecr.io', realm: 'https://test.azurecr.io/oauth2/token', service: 'test.azurecr.io' },
    { host: 'test.azurecr.us', realm: 'https://test.azurecr.us/oauth2/token', service: 'test.azurecr.us' },
    {
      host: 'test-abc123.azurecr.io',
      realm: 'https://test-abc123.azurecr.io/oauth2/token',
      service: 'test-abc123.azurecr.io',
    },
    // A regional endpoint: its own realm, the base login server as service (as ACR's challenge says).
    {
      host: 'test.eastus2.geo.azurecr.io',
      realm: 'https://test.eastus2.geo.azurecr.io/oauth2/token',
      service: 'test.azurecr.io',
    },
    {
      host: 'test.usgovvirginia.geo.azurecr.us',
      realm: 'https://test.usgovvirginia.geo.azurecr.us/oauth2/token',
      service: 'test.azurecr.us',
    },
  ])('$host', ({ host, realm, service }) => {
    expect(knownChallenge(host)).toEqual({ realm, service });
  });
});

/**
 * The dockercfg document: upstream's pkg/credentialconfig/config_test.go vectors (research/gcp-gar.md
 * §3.4) as tables, with credkit's differences beside the rows they change.
 */
import { describe, expect, it } from 'vitest';
import { decodeAuthField, parseDockerConfig } from '../../../adapters/gar/dockercfg.ts';
import { credkitErrorOf } from '../../support/credkit-error.ts';

const SOURCE = 'metadata attribute google-dockercfg';

describe('upstream TestDecodeDockerConfigFieldAuth', () => {
  it.each([
    { name: 'padded', field: 'Zm9vOmJhcg==', login: { username: 'foo', password: 'bar' } },
    { name: 'unpadded', field: 'Zm9vOmJhcg', login: { username: 'foo', password: 'bar' } },
    { name: 'newlines are skipped, as Go', field: 'Zm9vOm\nJhcg==\n', login: { username: 'foo', password: 'bar' } },
    { name: 'carriage returns too', field: 'Zm9v\r\nOmJhcg==', login: { username: 'foo', password: 'bar' } },
    {
      name: 'the password keeps later colons',
      field: 'Zm9vOmJhcjpiYXo=',
      login: { username: 'foo', password: 'bar:baz' },
    },
    { name: 'no colon (cGFudHM= is "pants")', field: 'cGFudHM=', login: undefined },
    { name: 'a trailing space', field: 'Zm9vOmJhcg== ', login: undefined },
    { name: 'not base64', field: 'pants', login: undefined },
    { name: 'padding in the middle', field: 'Zm9v=OmJhcg==', login: undefined },
    { name: 'url-safe alphabet (Go StdEncoding refuses it)', field: 'Zm9vOmJh-_==', login: undefined },
    { name: 'one lone character', field: 'Z', login: undefined },
  ])('$name', ({ field, login }) => {
    expect(decodeAuthField(field)).toEqual(login);
  });
});

describe('upstream TestDockerConfigEntryJSONDecode, and the document', () => {
  it.each([
    {
      name: 'username and password as they are',
      body: { 'r.io': { username: 'foo', password: 'bar', email: 'foo@example.com' } },
      entries: [{ key: 'r.io', username: 'foo', password: 'bar' }],
    },
    {
      name: 'auth gives both',
      body: { 'r.io': { auth: 'Zm9vOmJhcg==', email: 'foo@example.com' } },
      entries: [{ key: 'r.io', username: 'foo', password: 'bar' }],
    },
    {
      name: 'auth overrides username and password (cGluZzpwb25n is ping:pong)',
      body: { 'r.io': { username: 'foo', password: 'bar', auth: 'cGluZzpwb25n' } },
      entries: [{ key: 'r.io', username: 'ping', password: 'pong' }],
    },
    {
      name: 'an empty auth is no auth',
      body: { 'r.io': { username: 'foo', password: 'bar', auth: '' } },
      entries: [{ key: 'r.io', username: 'foo', password: 'bar' }],
    },
    {
      name: 'unknown fields and null are ignored, as Go',
      body: { 'r.io': { username: 'foo', password: null, identitytoken: 'x' } },
      entries: [{ key: 'r.io', username: 'foo', password: '' }],
    },
    {
      name: 'keys verbatim, schemes and paths included (upstream TestConfigProvider key)',
      body: { 'https://hello.kubernetes.io': { auth: 'Zm9vOmJhcg==' }, 'r.io/team': { username: 'a', password: 'b' } },
      entries: [
        { key: 'https://hello.kubernetes.io', username: 'foo', password: 'bar' },
        { key: 'r.io/team', username: 'a', password: 'b' },
      ],
    },
    // Different: upstream parses only the bare map, so `auths` would be one entry with empty credentials.
    {
      name: 'config.json form {"auths": ...} (credkit superset)',
      body: { auths: { 'r.io': { auth: 'Zm9vOmJhcg==' } } },
      entries: [{ key: 'r.io', username: 'foo', password: 'bar' }],
    },
    { name: 'an empty map', body: {}, entries: [] },
  ])('$name', ({ body, entries }) => {
    expect(parseDockerConfig(JSON.stringify(body), SOURCE)).toEqual(entries);
  });

  // Upstream: any of these empties the whole config (exit 0, no auth); credkit: exit 2 naming the entry.
  it.each([
    {
      name: 'auth "pants" (not base64)',
      body: '{"r.io":{"auth":"pants","email":"e"}}',
      error: 'entry "r.io" has an auth field that is not base64(username:password)',
    },
    { name: 'email false', body: '{"r.io":{"email":false}}', error: 'entry "r.io" field email is not a string' },
    { name: 'an entry that is a string', body: '{"r.io":"foo:bar"}', error: 'entry "r.io" is not an object' },
    {
      name: 'truncated JSON (upstream: "error occurred while trying to unmarshal json")',
      body: '{"r.io":{"username":"foo","password":"s3cr3t-pass',
      error: 'it is not JSON',
    },
    { name: 'an array', body: '[{"username":"foo"}]', error: 'it is not a JSON object of registry keys' },
    { name: 'a string', body: '"r.io"', error: 'it is not a JSON object of registry keys' },
  ])('refuses $name, without repeating any value', ({ body, error }) => {
    const thrown = credkitErrorOf(() => parseDockerConfig(body, SOURCE));
    expect(thrown?.kind).toBe('usage');
    expect(thrown?.message).toBe(`${SOURCE} is not a valid dockercfg: ${error}`);
    expect(thrown?.message).not.toMatch(/s3cr3t|pants|foo:bar/);
  });

  it('a __proto__ key is an entry like any other, never the prototype', () => {
    const entries = parseDockerConfig('{"__proto__":{"username":"a","password":"b"}}', SOURCE);
    expect(entries).toEqual([{ key: '__proto__', username: 'a', password: 'b' }]);
    expect(({} as Record<string, unknown>).username).toBeUndefined();
  });
});

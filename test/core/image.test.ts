import { describe, expect, it } from 'vitest';
import { globMatch, matchingAuthKeys, normaliseAuthKey, parseImage, urlsMatch } from '../../core/image.ts';

// kubernetes/kubernetes keyring_test.go TestURLsMatch (research/kubelet-protocol.md §4.3), plus the §2.3 consequences.
describe('urlsMatch follows the kubelet URLsMatch', () => {
  it.each([
    { glob: '*.kubernetes.io', target: 'prefix.kubernetes.io', match: true },
    { glob: 'prefix.*.io', target: 'prefix.kubernetes.io', match: true },
    { glob: 'prefix.kubernetes.*', target: 'prefix.kubernetes.io', match: true },
    { glob: '*-good.kubernetes.io', target: 'prefix-good.kubernetes.io', match: true },
    { glob: '*.kubernetes.io/blah', target: 'prefix.kubernetes.io/blah', match: true },
    { glob: 'prefix.*.io/foo', target: 'prefix.kubernetes.io/foo/bar', match: true },
    { glob: '*.kubernetes.io:1111/blah', target: 'prefix.kubernetes.io:1111/blah', match: true },
    { glob: 'prefix.*.io:1111/foo', target: 'prefix.kubernetes.io:1111/foo/bar', match: true },
    { glob: '*.kubernetes.io', target: 'kubernetes.io', match: false },
    { glob: '*.*.kubernetes.io', target: 'prefix.kubernetes.io', match: false },
    { glob: '*.*.kubernetes.io', target: 'kubernetes.io', match: false },
    { glob: '*kubernetes.io', target: 'a.kubernetes.io', match: false },
    { glob: '*kubernetes.io', target: 'kubernetes.io', match: true },
    { glob: '*.*.*.kubernetes.io', target: 'a.b.c.kubernetes.io', match: true },
    { glob: 'kubernetes.io', target: 'kubernetes.com', match: false },
    { glob: 'k*.io', target: 'quay.io', match: false },
    { glob: '*.kubernetes.io:1234/blah', target: 'prefix.kubernetes.io:1111/blah', match: false },
    { glob: 'prefix.*.io/foo', target: 'prefix.kubernetes.io:1111/foo/bar', match: false },
    // §2.3: ports compare both ways, paths are literal prefixes, schemes in globs defeat matching.
    { glob: 'registry.io', target: 'registry.io:5000/x', match: false },
    { glob: 'registry.io:5000', target: 'registry.io/x', match: false },
    { glob: 'registry.io/*', target: 'registry.io/foo', match: false },
    { glob: 'bar.example.com/pong', target: 'bar.example.com/pongz', match: true },
    { glob: '*', target: 'localhost/x', match: true },
    { glob: '*', target: 'localhost:5000/x', match: false },
    { glob: 'https://*.kubernetes.io', target: 'a.kubernetes.io', match: false },
    { glob: 'registry.io:*', target: 'registry.io:5000', match: false },
    { glob: '[', target: '[', match: false },
    { glob: '%invalid%', target: 'x', match: false },
    { glob: 'reg[0-9].io', target: 'reg7.io/x', match: true },
    { glob: 'reg[^0-9].io', target: 'reg7.io/x', match: false },
    { glob: 'Registry.io', target: 'registry.io', match: false },
  ])('$glob ~ $target → $match', ({ glob, target, match }) => {
    expect(urlsMatch(glob, target)).toBe(match);
  });
});

describe('globMatch is Go filepath.Match on one label', () => {
  it.each([
    { pattern: 'a?c', name: 'abc', match: true },
    { pattern: 'a\\*c', name: 'a*c', match: true },
    { pattern: 'a\\*c', name: 'abc', match: false },
    { pattern: '[a-c]x', name: 'bx', match: true },
    { pattern: '[^a-c]x', name: 'bx', match: false },
    { pattern: '*', name: '', match: true },
  ])('$pattern ~ $name', ({ pattern, name, match }) => {
    expect(globMatch(pattern, name)).toBe(match);
  });

  it.each(['[', '[]', '[a-', 'a\\', '[z-a]'])('%s is a bad pattern', (pattern) => {
    expect(() => globMatch(pattern, 'a')).toThrow();
  });
});

// TestDockerKeyringForGlob: each key must match `<target>/foo/bar` after keyring normalisation.
describe('auth keys are normalised and matched like the keyring', () => {
  it.each([
    { key: 'https://hello.kubernetes.io', target: 'hello.kubernetes.io' },
    { key: 'https://*.docker.io', target: 'prefix.docker.io' },
    { key: 'https://prefix.*.io', target: 'prefix.docker.io' },
    { key: 'https://*.docker.io/path', target: 'prefix.docker.io/path' },
    { key: 'https://prefix.*.io/path', target: 'prefix.docker.io/path/subpath' },
    { key: 'https://*.docker.io:8888', target: 'prefix.docker.io:8888' },
    { key: 'https://*.docker.io/v1/', target: 'prefix.docker.io' },
    { key: 'https://*.docker.io/v2/', target: 'prefix.docker.io' },
    { key: 'prefix.docker.io:1111', target: 'prefix.docker.io:1111/path' },
    { key: '*.docker.io:1111', target: 'prefix.docker.io:1111/path' },
  ])('$key serves $target', ({ key, target }) => {
    expect(urlsMatch(normaliseAuthKey(key), `${target}/foo/bar`)).toBe(true);
  });

  it.each([
    { key: 'https://hello.kubernetes.io', target: 'world.mesos.org' },
    { key: 'https://*.docker.com', target: 'prefix.docker.io' },
    { key: 'https://suffix.*.io', target: 'prefix.docker.io' },
    { key: 'https://prefix.docker.c*', target: 'prefix.docker.io' },
    { key: 'suffix.*.io', target: 'prefix.docker.io' },
  ])('$key misses $target (TestKeyringMiss)', ({ key, target }) => {
    expect(urlsMatch(normaliseAuthKey(key), `${target}/foo/bar`)).toBe(false);
  });

  it('orders matches most specific first, as TestDockerKeyringLookup', () => {
    const keys = ['bar.example.com', 'bar.example.com/pong'];
    expect(matchingAuthKeys(keys, 'bar.example.com/pong')).toEqual(['bar.example.com/pong', 'bar.example.com']);
    expect(matchingAuthKeys(keys, 'bar.example.com/ping')).toEqual(['bar.example.com']);
    expect(matchingAuthKeys(keys, 'bar.example.com/pongz')).toEqual(['bar.example.com/pong', 'bar.example.com']);
    expect(matchingAuthKeys(keys, 'foo.example.com')).toEqual([]);
  });
});

describe('parseImage', () => {
  it.each([
    {
      image: 'registry.io/a/b',
      registry: 'registry.io',
      repository: 'a/b',
      port: undefined,
      tag: undefined,
      digest: undefined,
    },
    {
      image: 'registry.io:5000/a/b:v1',
      registry: 'registry.io:5000',
      repository: 'a/b',
      port: '5000',
      tag: 'v1',
      digest: undefined,
    },
    {
      image: 'registry.io:5000/a/b@sha256:abc',
      registry: 'registry.io:5000',
      repository: 'a/b',
      port: '5000',
      tag: undefined,
      digest: 'sha256:abc',
    },
    {
      image: 'docker.io/library/nginx',
      registry: 'docker.io',
      repository: 'library/nginx',
      port: undefined,
      tag: undefined,
      digest: undefined,
    },
    {
      image: 'nginx:1.25',
      registry: 'docker.io',
      repository: 'library/nginx',
      port: undefined,
      tag: '1.25',
      digest: undefined,
    },
    {
      image: 'localhost/app',
      registry: 'localhost',
      repository: 'app',
      port: undefined,
      tag: undefined,
      digest: undefined,
    },
    {
      image: 'localhost:5000/app:x@sha256:1',
      registry: 'localhost:5000',
      repository: 'app',
      port: '5000',
      tag: 'x',
      digest: 'sha256:1',
    },
  ])('$image', ({ image, registry, repository, port, tag, digest }) => {
    const ref = parseImage(image);
    expect(ref).toMatchObject({ registry, repository });
    expect(ref.port).toBe(port);
    expect(ref.tag).toBe(tag);
    expect(ref.digest).toBe(digest);
    expect(ref.name).toBe(`${registry}/${repository}`);
  });

  it.each(['', '   ', 'a b/c'])('rejects %j', (image) => {
    expect(() => parseImage(image)).toThrow(/invalid image reference/);
  });
});

import { describe, expect, it } from 'vitest';
import { CredkitError } from '../../core/errors.ts';
import { globMatch, hostProblem, matchingAuthKeys, normaliseAuthKey, parseImage, urlsMatch } from '../../core/image.ts';

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

  it.each([
    { image: '[::1]:5000/app', registry: '[::1]:5000', host: '[::1]' },
    { image: '10.0.0.1:5000/app', registry: '10.0.0.1:5000', host: '10.0.0.1' },
    { image: 'xn--bcher-kva.example/app', registry: 'xn--bcher-kva.example', host: 'xn--bcher-kva.example' },
    { image: 'registry.io:65535/a', registry: 'registry.io:65535', host: 'registry.io' },
    { image: 'registry.io/team/App_1', registry: 'registry.io', host: 'registry.io' },
  ])('accepts $image', ({ image, registry, host }) => {
    expect(parseImage(image)).toMatchObject({ registry, host });
  });
});

// Issue 11: a request image is validated before any network call; the host must be canonical.
describe('parseImage refuses hostile images as request errors, without repeating credentials', () => {
  it.each([
    { name: 'port not digits', image: 'host.io:abc/x', why: /port "abc" is not a number from 1 to 65535/ },
    { name: 'negative port', image: 'host.io:-1/x', why: /port "-1"/ },
    { name: 'port 0', image: 'host.io:0/x', why: /port "0"/ },
    { name: 'port over 65535', image: 'host.io:65536/x', why: /port "65536"/ },
    { name: 'empty port', image: 'host.io:/x', why: /port ""/ },
    { name: 'two colons', image: 'host.io:1:2/x', why: /port "1:2"/ },
    { name: 'wildcard host', image: '*.pkg.dev/x', why: /host "\*\.pkg\.dev" is not a DNS name/ },
    { name: 'escaped dot', image: 'us-central1-docker.pkg%2edev/x', why: /host .* is not a DNS name/ },
    {
      name: 'homoglyph',
      image: 'us-central1-docker.pkg.dеv/x',
      why: /is not ASCII: write an internationalised name in punycode/,
    },
    { name: 'replacement of a 0xFF byte', image: 'a.pkg.dev\ufffd/x', why: /is not ASCII/ },
    { name: 'upper case', image: 'Registry.io/x', why: /is not lower case/ },
    { name: 'underscore label', image: '1.dkr.ecr.evil_region.amazonaws.com/x', why: /is not a DNS name/ },
    { name: 'trailing dot', image: 'registry.io./x', why: /is not a DNS name/ },
    { name: 'empty label', image: 'registry..io/x', why: /is not a DNS name/ },
    { name: 'label over 63', image: `${'a'.repeat(64)}.io/x`, why: /is not a DNS name/ },
    { name: 'bad IPv4', image: '10.0.0.256/x', why: /is not a valid IPv4 address/ },
    { name: 'IPv4 with leading zero', image: '010.0.0.1/x', why: /is not a valid IPv4 address/ },
    { name: 'numeric last label', image: 'a.123/x', why: /is not a canonical host name/ },
    { name: 'bad IPv6', image: '[::g]/x', why: /is not a valid IPv6 address/ },
    { name: 'IPv6 zone', image: '[fe80::1%25eth0]/x', why: /is not a valid IPv6 address/ },
    { name: 'control character', image: 'registry.io/x\u001b[31m', why: /repository path "x\\x1b\[31m"/ },
    { name: 'tab', image: 'registry.io/\tx', why: /whitespace/ },
    { name: 'leading space', image: ' registry.io/x', why: /whitespace/ },
    { name: 'empty path component', image: 'registry.io//x', why: /repository path/ },
    { name: 'bad tag', image: 'registry.io/x:-v1', why: /tag "-v1"/ },
    { name: 'bad digest', image: 'registry.io/x@sha256', why: /digest "sha256"/ },
    {
      name: 'userinfo',
      image: 'user:password@registry.io/x',
      why: /"…@registry\.io\/x": it carries userinfo/,
    },
    { name: 'userinfo without path', image: 'user:password@registry.io', why: /carries userinfo/ },
    { name: 'user only', image: 'ghp_token123@registry.io/x', why: /carries userinfo/ },
    { name: 'huge', image: `registry.io/${'a'.repeat(900_000)}!`, why: /"registry\.io\/a+…" \(900013 bytes\)/ },
  ])('$name', ({ image, why }) => {
    let error: unknown;
    try {
      parseImage(image);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(CredkitError);
    expect((error as CredkitError).kind).toBe('request');
    const message = (error as Error).message;
    expect(message).toMatch(/^invalid image reference /);
    expect(message).toMatch(why);
    expect(message).not.toMatch(/password|ghp_token123/);
    expect(message).not.toMatch(/\p{Cc}/u);
    expect(Buffer.byteLength(message)).toBeLessThan(400);
  });

  it.each([
    { host: 'registry.io', problem: undefined },
    { host: 'localhost', problem: undefined },
    { host: '127.0.0.1', problem: undefined },
    { host: '[2001:db8::1]', problem: undefined },
    { host: 'a-b.c', problem: undefined },
    { host: '-a.io', problem: /not a DNS name/ },
    { host: 'a-.io', problem: /not a DNS name/ },
    { host: '0x7f.1', problem: /not a canonical host name/ },
    { host: '[0:0::1]', problem: /not a valid IPv6 address/ },
  ])('hostProblem($host)', ({ host, problem }) => {
    const found = hostProblem(host);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });
});

/**
 * Registry matching and mirrors: upstream's TestParseACRLoginServerFromImage,
 * TestProcessImageWithMirrorMapping and TestProcessMirrorMapping (research/azure-acr.md §3.1-3.2)
 * as tables, plus the rows where credkit deliberately differs (anchored, no substring fallback).
 */
import { describe, expect, it, vi } from 'vitest';
import { ACR_MATCH_IMAGES, acrTargetOf, isAcrHost } from '../../../adapters/acr/index.ts';
import { baseLoginServer, parseRegistryMirrors, resolveAcrTarget } from '../../../adapters/acr/registry.ts';
import { parseImage, urlsMatch } from '../../../core/index.ts';

const MIRROR = 'mcr.microsoft.com:abc.azurecr.io';

describe('login server from image (upstream TestParseACRLoginServerFromImage, mirror mcr.microsoft.com:abc.azurecr.io)', () => {
  it.each([
    { name: 'not an image host', image: 'invalidImage', loginServer: null },
    { name: 'Docker Hub', image: 'docker.io/library/busybox:latest', loginServer: null },
    { name: 'public cloud', image: 'foo.azurecr.io/bar/image:version', loginServer: 'foo.azurecr.io' },
    { name: 'China', image: 'foo.azurecr.cn/bar/image:version', loginServer: 'foo.azurecr.cn' },
    { name: 'Germany', image: 'foo.azurecr.de/bar/image:version', loginServer: 'foo.azurecr.de' },
    { name: 'US government', image: 'foo.azurecr.us/bar/image:version', loginServer: 'foo.azurecr.us' },
    {
      name: 'ACR name in the path is not the host',
      image: 'foo.azurecr.us/foo.azurecr.io/bar/image:version',
      loginServer: 'foo.azurecr.us',
    },
    {
      name: 'look-alike suffix (upstream regex)',
      image: 'foo.azurecr.io.example/bar/image:version',
      loginServer: null,
    },
    { name: 'ACR host as a path component', image: 'docker/foo.azurecr.io/bar/image:version', loginServer: null },
    {
      name: 'differs: a bare host is a Docker Hub repository name, not an image on it',
      image: 'foo.azurecr.io',
      loginServer: null,
    },
    { name: 'nested suffix', image: 'foo.azurecr.io.azurecr.cn/x', loginServer: null },
    { name: 'dashes standing in for dots', image: 'foo-azurecr-io.azurecr.cn/x', loginServer: null },
    // Rows where upstream's custom-suffix fallback (a substring search) differs; credkit anchors.
    {
      name: 'custom cloud suffix: not served (no substring fallback)',
      image: 'foo.azurecr.my.cloud/bar/image:version',
      loginServer: null,
    },
    { name: 'geo-replica', image: 'myreg.eastus2.geo.azurecr.io/x', loginServer: 'myreg.eastus2.geo.azurecr.io' },
    { name: 'domain name label hash', image: 'myreg-abc123.azurecr.io/x', loginServer: 'myreg-abc123.azurecr.io' },
    { name: 'two hyphens are not a DNL name', image: 'my-reg-abc123.azurecr.io/x', loginServer: null },
    { name: 'data endpoint is not a login server', image: 'myreg.eastus.data.azurecr.io/x', loginServer: null },
    { name: 'explicit 443', image: 'foo.azurecr.io:443/x', loginServer: 'foo.azurecr.io' },
    { name: 'another port', image: 'foo.azurecr.io:5000/x', loginServer: null },
    {
      name: 'upper case host: not canonical, a request error (issue 11)',
      image: 'FOO.AzureCR.io/x',
      loginServer: null,
    },
    { name: 'mirror source', image: 'mcr.microsoft.com/bar/image:version', loginServer: 'abc.azurecr.io' },
    { name: 'mirror source as a prefix of another host', image: 'mcr.microsoft.com.evil/bar', loginServer: null },
  ])('$name: $image -> $loginServer', ({ image, loginServer }) => {
    let target: ReturnType<typeof acrTargetOf>;
    try {
      target = acrTargetOf(image, MIRROR);
    } catch {
      target = null; // unparseable images are not ours either
    }
    expect(target?.loginServer ?? null).toBe(loginServer);
  });
});

describe('mirrors (upstream TestProcessImageWithMirrorMapping)', () => {
  it.each([
    {
      name: 'mirrored image: target ACR, keys for the source and the target',
      image: 'mcr.microsoft.com/bar/image:version',
      target: {
        loginServer: 'abc.azurecr.io',
        mirrorSource: 'mcr.microsoft.com',
        keys: ['mcr.microsoft.com', 'abc.azurecr.io'],
      },
    },
    {
      name: 'ACR image: itself, no source',
      image: 'foo.azurecr.io/bar/image:version',
      target: { loginServer: 'foo.azurecr.io', keys: ['foo.azurecr.io'] },
    },
    {
      name: 'port 443 keeps the key the kubelet will look up',
      image: 'foo.azurecr.io:443/bar',
      target: { loginServer: 'foo.azurecr.io', keys: ['foo.azurecr.io:443', 'foo.azurecr.io'] },
    },
  ])('$name', ({ image, target }) => {
    expect(acrTargetOf(image, MIRROR)).toEqual(target);
  });
});

describe('--registry-mirror parsing (upstream TestProcessMirrorMapping)', () => {
  it.each([
    { name: 'empty', value: '', mirrors: {} },
    { name: 'unset', value: undefined, mirrors: {} },
    {
      name: 'two entries',
      value: 'aaa:bbb.azurecr.io,ccc:ddd.azurecr.io',
      mirrors: { aaa: 'bbb.azurecr.io', ccc: 'ddd.azurecr.io' },
    },
    {
      name: 'spaces are dropped',
      value: 'aaa: bbb.azurecr.io, ccc:ddd.azurecr.io',
      mirrors: { aaa: 'bbb.azurecr.io', ccc: 'ddd.azurecr.io' },
    },
    { name: 'one entry', value: 'aaa:bbb.azurecr.io', mirrors: { aaa: 'bbb.azurecr.io' } },
    {
      name: 'empty entries between commas',
      value: 'a:b.azurecr.io,,c:d.azurecr.io',
      mirrors: { a: 'b.azurecr.io', c: 'd.azurecr.io' },
    },
  ])('$name', ({ value, mirrors }) => {
    expect(Object.fromEntries(parseRegistryMirrors(value))).toEqual(mirrors);
  });

  // Upstream logs and skips these (one typo must not stop every pull); the good entries still apply.
  it.each([
    { name: 'no colon', value: 'aaa,c:d.azurecr.io', skipped: 'aaa', why: /is not src:dst/ },
    {
      name: 'source with a port',
      value: 'h:5000:x.azurecr.io,c:d.azurecr.io',
      skipped: 'h:5000:x.azurecr.io',
      why: /is not src:dst/,
    },
    { name: 'empty target', value: 'aaa:,c:d.azurecr.io', skipped: 'aaa:', why: /is not src:dst/ },
    {
      name: 'target is not an ACR',
      value: 'mcr.microsoft.com:mirror.example.com,c:d.azurecr.io',
      skipped: 'mcr.microsoft.com:mirror.example.com',
      why: /mirror.example.com, which is not an ACR login server/,
    },
  ])('$name is skipped and reported', ({ value, skipped, why }) => {
    const reported: [string, string][] = [];
    const mirrors = parseRegistryMirrors(value, (entry, reason) => reported.push([entry, reason]));
    expect(Object.fromEntries(mirrors)).toEqual({ c: 'd.azurecr.io' });
    expect(reported).toHaveLength(1);
    expect(reported[0]?.[0]).toBe(skipped);
    expect(reported[0]?.[1]).toMatch(why);
  });
});

describe('matchImages cover every host we serve, as the kubelet matches them', () => {
  it.each([
    { name: 'public cloud', image: 'foo.azurecr.io/x' },
    { name: 'China', image: 'foo.azurecr.cn/x' },
    { name: 'Germany', image: 'foo.azurecr.de/x' },
    { name: 'US government', image: 'foo.azurecr.us/x' },
    { name: 'domain name label hash', image: 'foo-abc123.azurecr.io/x' },
    { name: 'geo-replica', image: 'foo.westeurope.geo.azurecr.io/x' },
    { name: 'US government geo-replica', image: 'foo.usgovvirginia.geo.azurecr.us/x' },
  ])('$name: $image', ({ image }) => {
    expect(isAcrHost(image.split('/')[0] as string)).toBe(true);
    expect(ACR_MATCH_IMAGES.some((glob) => urlsMatch(glob, image))).toBe(true);
  });
});

describe('a custom cloud suffix (AzureStackCloud containerRegistryDNSSuffix azsacr.local.test)', () => {
  const SUFFIX = 'azsacr.local.test';
  it.each([
    { name: 'a registry of the cloud', image: 'myacr.azsacr.local.test/x', loginServer: 'myacr.azsacr.local.test' },
    { name: 'a DNL name', image: 'myacr-abc1.azsacr.local.test/x', loginServer: 'myacr-abc1.azsacr.local.test' },
    { name: 'the suffix alone', image: 'azsacr.local.test/x', loginServer: null },
    { name: 'two labels before the suffix', image: 'a.b.azsacr.local.test/x', loginServer: null },
    {
      name: 'the suffix inside a longer host (upstream: substring)',
      image: 'myacr.azsacr.local.test.evil/x',
      loginServer: null,
    },
    { name: 'the suffix without its dot', image: 'myacrazsacr.local.test/x', loginServer: null },
    { name: 'another port', image: 'myacr.azsacr.local.test:5000/x', loginServer: null },
    { name: 'an Azure ACR is still one, realm known', image: 'foo.azurecr.io/x', loginServer: 'foo.azurecr.io' },
  ])('$name: $image -> $loginServer', ({ image, loginServer }) => {
    const target = resolveAcrTarget(parseImage(image), new Map(), () => SUFFIX);
    expect(target?.loginServer ?? null).toBe(loginServer);
    if (target) expect(target.customCloud ?? false).toBe(loginServer?.endsWith(SUFFIX));
  });

  it('the suffix is not looked up for an Azure ACR host (no environment file read)', () => {
    const suffix = vi.fn(() => SUFFIX);
    resolveAcrTarget(parseImage('foo.azurecr.io/x'), new Map(), suffix);
    expect(suffix).not.toHaveBeenCalled();
  });

  it.each([
    { host: 'myacr.azurecr.io', base: 'myacr.azurecr.io' },
    { host: 'myacr.eastus2.geo.azurecr.io', base: 'myacr.azurecr.io' },
    { host: 'myacr.usgovvirginia.geo.azurecr.us', base: 'myacr.azurecr.us' },
    { host: 'myacr-abc1.westeurope.geo.azurecr.cn', base: 'myacr-abc1.azurecr.cn' },
  ])('baseLoginServer($host) = $base', ({ host, base }) => {
    expect(baseLoginServer(host)).toBe(base);
  });
});

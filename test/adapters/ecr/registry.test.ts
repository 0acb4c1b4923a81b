/**
 * Which hosts are ECR's and which region serves them: upstream's tables (research/aws-ecr.md
 * §3.5-3.7, cloud-provider-aws main_test.go) plus the partitions and the not-ours rule of credkit.
 */
import { describe, expect, it } from 'vitest';
import { ECR_MATCH_IMAGES, parseEcrHost, provider } from '../../../adapters/ecr/index.ts';
import { parseImage, urlsMatch } from '../../../core/index.ts';

const ACCOUNT = '123456789012';

describe('parseRegionFromECRPrivateHost (upstream Test_parseRegionFromECRPrivateHost)', () => {
  it.each([
    { name: 'aws', host: '123456789123.dkr.ecr.us-west-2.amazonaws.com', region: 'us-west-2' },
    { name: 'aws-cn', host: '123456789123.dkr.ecr.cn-north-1.amazonaws.com.cn', region: 'cn-north-1' },
    { name: 'aws-us-gov', host: '123456789123.dkr.ecr.us-gov-east-1.amazonaws.com', region: 'us-gov-east-1' },
    { name: 'aws-iso', host: '123456789123.dkr.ecr.us-iso-east-1.c2s.ic.gov', region: 'us-iso-east-1' },
    { name: 'aws-eusc', host: '123456789123.dkr.ecr.eusc-de-east-1.amazonaws.eu', region: 'eusc-de-east-1' },
    { name: 'dual-stack', host: '123456789123.dkr-ecr.us-west-2.on.aws', region: 'us-west-2' },
    { name: 'dual-stack FIPS', host: '123456789123.dkr-ecr-fips.us-west-2.on.aws', region: 'us-west-2' },
    {
      name: 'dual-stack cn',
      host: '123456789123.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn',
      region: 'cn-north-1',
    },
    { name: 'dual-stack us-gov', host: '123456789123.dkr-ecr.us-gov-east-1.on.aws', region: 'us-gov-east-1' },
    { name: 'dual-stack FIPS us-gov', host: '123456789123.dkr-ecr-fips.us-gov-east-1.on.aws', region: 'us-gov-east-1' },
    { name: 'not ECR', host: 'foobar', region: undefined },
  ])('$name: $host → $region', ({ host, region }) => {
    const registry = parseEcrHost(host);
    expect(registry?.region).toBe(region);
    if (region) expect(registry?.kind).toBe('private');
  });
});

describe('the private host pattern (upstream TestRegistryPatternMatch)', () => {
  it.each([
    { name: 'commercial', host: `${ACCOUNT}.dkr.ecr.lala-land-1.amazonaws.com` },
    { name: 'FIPS', host: `${ACCOUNT}.dkr.ecr-fips.lala-land-1.amazonaws.com` },
    { name: 'China', host: `${ACCOUNT}.dkr.ecr.lala-land-1.amazonaws.com.cn` },
    { name: 'European Sovereign Cloud', host: `${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu` },
    { name: 'European Sovereign Cloud FIPS', host: `${ACCOUNT}.dkr.ecr-fips.eusc-de-east-1.amazonaws.eu` },
    { name: 'ISO', host: `${ACCOUNT}.dkr.ecr.us-iso-east-1.c2s.ic.gov` },
    { name: 'ISO-B', host: `${ACCOUNT}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov` },
    { name: 'ISO-E', host: `${ACCOUNT}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk` },
    { name: 'ISO-F', host: `${ACCOUNT}.dkr.ecr.us-isof-east-1.csp.hci.ic.gov` },
    { name: 'dual-stack', host: `${ACCOUNT}.dkr-ecr.lala-land-1.on.aws` },
    { name: 'dual-stack FIPS', host: `${ACCOUNT}.dkr-ecr-fips.lala-land-1.on.aws` },
    { name: 'dual-stack China', host: `${ACCOUNT}.dkr-ecr.lala-land-1.on.amazonwebservices.com.cn` },
  ])('matches $name', ({ host }) => {
    expect(parseEcrHost(host)?.kind).toBe('private');
  });

  it.each([
    { name: '13-digit account', host: '1234567890123.dkr.ecr.lala-land-1.amazonaws.com' },
    { name: '11-digit account', host: '12345678901.dkr.ecr.lala-land-1.amazonaws.com' },
    { name: 'letter in account', host: '12345678901A.dkr.ecr.lala-land-1.amazonaws.com' },
    { name: 'bang in region', host: `${ACCOUNT}.dkr.ecr.lala-land-1!.amazonaws.com` },
    { name: 'hash in region', host: `${ACCOUNT}.dkr.ecr.#lala-land-1.amazonaws.com` },
    { name: 'suffix under another domain', host: `${ACCOUNT}.dkr.ecr.lala-land-1.amazonaws.hacker.com` },
    { name: 'foreign suffix', host: `${ACCOUNT}.dkr.ecr.lala-land-1.hacker.com` },
    { name: 'wrong TLD', host: `${ACCOUNT}.dkr.ecr.lala-land-1.amazonaws.lol` },
    { name: 'dog instead of dkr', host: `${ACCOUNT}.dog.ecr.lala-land-1.amazonaws.com` },
    { name: 'cat instead of ecr', host: `${ACCOUNT}.dkr.cat.lala-land-1.amazonaws.com` },
    { name: 'awsamazon', host: `${ACCOUNT}.dkr.cat.lala-land-1.awsamazon.com` },
    { name: 'no dkr.ecr', host: `${ACCOUNT}.lala-land-1.amazonaws.com` },
    { name: 'ISO region under .gov', host: `${ACCOUNT}.dkr.ecr.us-iso-east-1.amazonaws.gov` },
  ])('refuses $name', ({ host }) => {
    expect(parseEcrHost(host)).toBeUndefined();
  });
});

describe('partitions, FIPS and dual-stack', () => {
  it.each([
    { host: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`, partition: 'aws', fips: false, dualStack: false },
    {
      host: `${ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com`,
      partition: 'aws-us-gov',
      fips: true,
      dualStack: false,
    },
    { host: `${ACCOUNT}.dkr.ecr.cn-northwest-1.amazonaws.com.cn`, partition: 'aws-cn', fips: false, dualStack: false },
    {
      host: `${ACCOUNT}.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn`,
      partition: 'aws-cn',
      fips: false,
      dualStack: true,
    },
    { host: `${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu`, partition: 'aws-eusc', fips: false, dualStack: false },
    { host: `${ACCOUNT}.dkr.ecr.us-iso-east-1.c2s.ic.gov`, partition: 'aws-iso', fips: false, dualStack: false },
    { host: `${ACCOUNT}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov`, partition: 'aws-iso-b', fips: false, dualStack: false },
    { host: `${ACCOUNT}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk`, partition: 'aws-iso-e', fips: false, dualStack: false },
    {
      host: `${ACCOUNT}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov`,
      partition: 'aws-iso-f',
      fips: false,
      dualStack: false,
    },
    { host: `${ACCOUNT}.dkr-ecr-fips.us-east-1.on.aws`, partition: 'aws', fips: true, dualStack: true },
  ])('$host is $partition', ({ host, ...expected }) => {
    expect(parseEcrHost(host)).toMatchObject({ kind: 'private', account: ACCOUNT, ...expected });
  });
});

describe('ECR Public', () => {
  it.each([
    { name: 'public.ecr.aws', host: 'public.ecr.aws', dualStack: false },
    { name: 'dual-stack ecr-public.aws.com', host: 'ecr-public.aws.com', dualStack: true },
  ])('$name → ECR Public in us-east-1', ({ host, dualStack }) => {
    expect(parseEcrHost(host)).toEqual({ kind: 'public', region: 'us-east-1', partition: 'aws', dualStack });
  });

  it.each([
    { name: 'upper case (exact match, as upstream)', host: 'PUBLIC.ECR.AWS' },
    { name: 'a subdomain', host: 'x.public.ecr.aws' },
  ])('$name is not ECR Public', ({ host }) => {
    expect(parseEcrHost(host)).toBeUndefined();
  });
});

describe('which images the provider serves (image → host, upstream Test_parseHostFromImageReference and §3.9)', () => {
  const serves = (image: string) => provider.servesImage?.(parseImage(image), { flags: {}, positionals: [], env: {} });
  it.each([
    { name: 'repository with tag', image: '123456789123.dkr.ecr.us-west-2.amazonaws.com/foo/bar:1.0', served: true },
    {
      name: 'digest reference',
      image: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/x@sha256:${'a'.repeat(64)}`,
      served: true,
    },
    { name: 'host with port', image: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com:443/x`, served: true },
    {
      name: 'private image whose path names public ECR',
      image: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/public.ecr.aws/foo:latest`,
      served: true,
    },
    { name: 'public', image: 'public.ecr.aws/eks/pause:3.9', served: true },
    { name: 'public dual-stack', image: 'ecr-public.aws.com/eks/pause', served: true },
    {
      name: 'non-ECR host (upstream: ECR with the default region; credkit: not ours)',
      image: 'registry.k8s.io/foo:latest',
      served: false,
    },
    { name: 'Docker Hub', image: 'nginx', served: false },
    { name: 'look-alike', image: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com.evil.io/x`, served: false },
  ])('$name', ({ image, served }) => {
    expect(serves(image)).toBe(served);
  });
});

describe('matchImages (the EKS node config list)', () => {
  it.each([
    `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/app`,
    `${ACCOUNT}.dkr-ecr.us-west-2.on.aws/app`,
    `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/app`,
    `${ACCOUNT}.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn/app`,
    `${ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app`,
    `${ACCOUNT}.dkr-ecr-fips.us-east-1.on.aws/app`,
    `${ACCOUNT}.dkr.ecr.us-iso-east-1.c2s.ic.gov/app`,
    `${ACCOUNT}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/app`,
    `${ACCOUNT}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk/app`,
    `${ACCOUNT}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov/app`,
    `${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu/app`,
    'public.ecr.aws/eks/pause',
    'ecr-public.aws.com/eks/pause',
  ])('the kubelet runs the provider for %s, and the provider serves it', (image) => {
    expect(ECR_MATCH_IMAGES.some((glob) => urlsMatch(glob, image))).toBe(true);
    expect(provider.servesImage?.(parseImage(image), { flags: {}, positionals: [], env: {} })).toBe(true);
  });
});

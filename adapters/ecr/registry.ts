/**
 * Which registry hosts are ECR's, and where their API lives. The kubelet runs this provider only for
 * images its `matchImages` allow; the provider then answers ECR's own hosts by upstream's pattern
 * (research/aws-ecr.md §1.4-1.5). Any other host the operator listed in matchImages (a DNS name or a
 * proxy in front of ECR) gets a token of the default region, as upstream since
 * `kubernetes/cloud-provider-aws#673`, when a region is configured; without one upstream fails, and
 * credkit answers "no auth, 0s".
 */
import { partition } from '@aws-sdk/core/client';
import type { Env } from '../../core/index.ts';

/** ECR Public's API exists only in us-east-1 (research/aws-ecr.md §1.6). */
export const ECR_PUBLIC_REGION = 'us-east-1';

/** `public.ecr.aws` and its dual-stack twin (`kubernetes/cloud-provider-aws#1332`); exact, case-sensitive. */
export const ECR_PUBLIC_HOSTS = ['public.ecr.aws', 'ecr-public.aws.com'] as const;

/**
 * Upstream's private host pattern (research/aws-ecr.md §1.5), kept as loose as upstream so the same
 * hosts are served: groups are account, `-fips`, region, DNS suffix. Written without `\-` outside
 * classes so it would also compile under the `u` flag.
 */
const ECR_PRIVATE_HOST =
  /^(\d{12})\.dkr[.-]ecr(-fips)?\.([a-zA-Z0-9][a-zA-Z0-9-_]*)\.(amazonaws\.(?:com(?:\.cn)?|eu)|on\.(?:aws|amazonwebservices\.com\.cn)|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;

/** The AWS partition a registry DNS suffix belongs to (us-gov regions share the commercial suffixes). */
const PARTITION_BY_SUFFIX: Record<string, string> = {
  'amazonaws.com': 'aws',
  'on.aws': 'aws',
  'amazonaws.com.cn': 'aws-cn',
  'on.amazonwebservices.com.cn': 'aws-cn',
  'amazonaws.eu': 'aws-eusc',
  'c2s.ic.gov': 'aws-iso',
  'sc2s.sgov.gov': 'aws-iso-b',
  'cloud.adc-e.uk': 'aws-iso-e',
  'csp.hci.ic.gov': 'aws-iso-f',
};

export type EcrRegistry =
  | {
      kind: 'private';
      /** The registry's (12-digit) account; informational: GetAuthorizationToken takes no registryIds. */
      account: string;
      region: string;
      partition: string;
      fips: boolean;
      dualStack: boolean;
      /** A host outside ECR's pattern, served with the default region's token (upstream #673). */
      outsidePattern?: true;
    }
  | { kind: 'public'; region: typeof ECR_PUBLIC_REGION; partition: 'aws'; dualStack: boolean };

/**
 * The ECR registry a host (without port) names, or undefined when it is not ECR's. Only the region
 * drives the API call; FIPS and dual-stack hosts still call the regional API endpoint unless the SDK
 * is told otherwise (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT), exactly as upstream does.
 */
export function parseEcrHost(host: string): EcrRegistry | undefined {
  if ((ECR_PUBLIC_HOSTS as readonly string[]).includes(host)) {
    return { kind: 'public', region: ECR_PUBLIC_REGION, partition: 'aws', dualStack: host === 'ecr-public.aws.com' };
  }
  const match = ECR_PRIVATE_HOST.exec(host);
  if (!match) return undefined;
  const [, account = '', fips, region = '', suffix = ''] = match;
  const base = PARTITION_BY_SUFFIX[suffix] ?? 'aws';
  return {
    kind: 'private',
    account,
    region,
    partition: base === 'aws' && region.startsWith('us-gov-') ? 'aws-us-gov' : base,
    fips: fips !== undefined,
    dualStack: host.includes('.dkr-ecr'),
  };
}

/** AWS_REGION, else AWS_DEFAULT_REGION: the region the SDKs use when nothing else names one. */
export function defaultRegion(env: Env): string | undefined {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
}

/**
 * The registry a host names for this exec: ECR's own by the pattern; any other as private ECR of the
 * default region (upstream #673), or undefined when no region is configured.
 */
export function registryFor(host: string, env: Env): EcrRegistry | undefined {
  const ecr = parseEcrHost(host);
  if (ecr) return ecr;
  const region = defaultRegion(env);
  if (!region) return undefined;
  return {
    kind: 'private',
    account: '',
    region,
    partition: partition(region).name,
    fips: false,
    dualStack: false,
    outsidePattern: true,
  };
}

/**
 * The kubelet matchImages an EKS node config carries for the upstream binary
 * (awslabs/amazon-eks-ami nodeadm, research/aws-ecr.md §6.1): one `*` per DNS label.
 */
export const ECR_MATCH_IMAGES = [
  '*.dkr.ecr.*.amazonaws.com',
  '*.dkr-ecr.*.on.aws',
  '*.dkr.ecr.*.amazonaws.com.cn',
  '*.dkr-ecr.*.on.amazonwebservices.com.cn',
  '*.dkr.ecr-fips.*.amazonaws.com',
  '*.dkr-ecr-fips.*.on.aws',
  '*.dkr.ecr.*.c2s.ic.gov',
  '*.dkr.ecr.*.sc2s.sgov.gov',
  '*.dkr.ecr.*.cloud.adc-e.uk',
  '*.dkr.ecr.*.csp.hci.ic.gov',
  '*.dkr.ecr.*.amazonaws.eu',
  'public.ecr.aws',
  'ecr-public.aws.com',
];

/**
 * Where STS, ECR and ECR Public answer for a region, and which region a request is signed for.
 * These are the AWS SDK's endpoint rules for the three services (the rule sets in
 * `@aws-sdk/client-{sts,ecr,ecr-public}/dist-es/endpoint/bdd.js`), written out because the SDK's
 * resolvers load only through the whole client; test/adapters/ecr/endpoints.test.ts checks them
 * against the SDK's own resolvers in every partition. The partition table (DNS suffixes, FIPS and
 * dual-stack support) is the SDK's, from `@aws-sdk/core`, so new regions arrive with SDK updates.
 *
 * The settings are the SDK's environment variables (research/aws-ecr.md §1.1); the shared config
 * file's `endpoint_url`/`use_fips_endpoint` are not read (docs/ecr.md says so).
 */
import { partition } from '@aws-sdk/core/client';
import { CredkitError, type Env } from '../../core/index.ts';

export type AwsService = 'sts' | 'ecr' | 'ecr-public';

export interface AwsEndpoint {
  url: string;
  /** The region in the credential scope: us-east-1 for the global STS endpoint, else the region. */
  signingRegion: string;
}

/** The SDK's service ids, as `AWS_ENDPOINT_URL_<ID>` spells them. */
const ENDPOINT_ENV: Record<AwsService, string> = {
  sts: 'AWS_ENDPOINT_URL_STS',
  ecr: 'AWS_ENDPOINT_URL_ECR',
  'ecr-public': 'AWS_ENDPOINT_URL_ECR_PUBLIC',
};

/** The regions whose STS calls went to sts.amazonaws.com before regional endpoints became the default. */
const LEGACY_GLOBAL_STS_REGIONS = new Set([
  'ap-northeast-1',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'aws-global',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
]);

/** The partitions whose dual-stack ECR host drops the `api.` prefix (the rule set names them). */
const ECR_NAMED_PARTITIONS = new Set([
  'aws',
  'aws-cn',
  'aws-us-gov',
  'aws-eusc',
  'aws-iso',
  'aws-iso-b',
  'aws-iso-e',
  'aws-iso-f',
]);

export interface EndpointSettings {
  fips: boolean;
  dualStack: boolean;
  /** AWS_STS_REGIONAL_ENDPOINTS=legacy: the SDKs' `UseGlobalEndpoint`. */
  stsGlobal: boolean;
  /** A configured endpoint URL (AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL). */
  custom?: string;
}

/** The endpoint settings for one service from the SDK's environment variables. */
export function endpointSettings(env: Env, service: AwsService): EndpointSettings {
  const ignoreConfigured = booleanEnv(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS');
  const custom = ignoreConfigured ? undefined : env[ENDPOINT_ENV[service]] || env.AWS_ENDPOINT_URL || undefined;
  return {
    fips: booleanEnv(env, 'AWS_USE_FIPS_ENDPOINT'),
    dualStack: booleanEnv(env, 'AWS_USE_DUALSTACK_ENDPOINT'),
    stsGlobal: env.AWS_STS_REGIONAL_ENDPOINTS?.toLowerCase() === 'legacy',
    ...(custom ? { custom } : {}),
  };
}

/** As the SDK's booleanSelector: `true` or `false` (any case), anything else is a configuration error. */
function booleanEnv(env: Env, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '') return false;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  throw new CredkitError('usage', `${name} is ${JSON.stringify(value)}: set it to true or false`);
}

/** The endpoint for `service` in `region`, by the SDK's rules for that service. */
export function resolveEndpoint(service: AwsService, region: string, settings: EndpointSettings): AwsEndpoint {
  if (settings.custom !== undefined) return customEndpoint(service, region, settings);
  const p = partition(region);
  const suffix = settings.dualStack ? p.dualStackDnsSuffix : p.dnsSuffix;
  if (settings.fips && !p.supportsFIPS) throw unsupported(service, region, 'FIPS');
  if (settings.dualStack && !p.supportsDualStack) throw unsupported(service, region, 'dual-stack');
  const at = (host: string, signingRegion = region) => ({ url: `https://${host}`, signingRegion });
  switch (service) {
    case 'ecr': {
      const label = settings.fips ? 'ecr-fips' : 'ecr';
      const named = settings.dualStack && ECR_NAMED_PARTITIONS.has(p.name);
      return at(`${named ? label : `api.${label}`}.${region}.${suffix}`);
    }
    case 'ecr-public': {
      if (settings.fips) return at(`api.ecr-public-fips.${region}.${suffix}`);
      if (settings.dualStack && p.name === 'aws') return at(`ecr-public.${region}.api.aws`);
      return at(`api.ecr-public.${region}.${suffix}`);
    }
    case 'sts': {
      const plain = !settings.fips && !settings.dualStack;
      if (plain && (region === 'aws-global' || (settings.stsGlobal && LEGACY_GLOBAL_STS_REGIONS.has(region)))) {
        return at('sts.amazonaws.com', 'us-east-1');
      }
      if (settings.fips && !settings.dualStack && p.name === 'aws-us-gov') return at(`sts.${region}.amazonaws.com`);
      return at(`${settings.fips ? 'sts-fips' : 'sts'}.${region}.${suffix}`);
    }
  }
}

/** A configured endpoint is used as given; the SDKs refuse it together with FIPS or dual-stack. */
function customEndpoint(service: AwsService, region: string, settings: EndpointSettings): AwsEndpoint {
  const conflict = settings.fips ? 'AWS_USE_FIPS_ENDPOINT' : settings.dualStack ? 'AWS_USE_DUALSTACK_ENDPOINT' : '';
  if (conflict) {
    throw new CredkitError(
      'usage',
      `${conflict}=true and a configured ${service.toUpperCase()} endpoint (${ENDPOINT_ENV[service]} or AWS_ENDPOINT_URL) cannot be combined: the configured URL is used as given, so unset one`,
    );
  }
  let url: URL;
  try {
    url = new URL(settings.custom ?? '');
  } catch {
    throw new CredkitError(
      'usage',
      `the configured ${service.toUpperCase()} endpoint ${JSON.stringify(settings.custom)} is not a URL: use https://host[:port]`,
    );
  }
  return { url: url.href.replace(/\/$/, ''), signingRegion: region };
}

function unsupported(service: AwsService, region: string, what: string): CredkitError {
  return new CredkitError(
    'usage',
    `${what} endpoints are enabled but the partition of ${region} has none for ${service.toUpperCase()}: unset ${what === 'FIPS' ? 'AWS_USE_FIPS_ENDPOINT' : 'AWS_USE_DUALSTACK_ENDPOINT'}`,
  );
}

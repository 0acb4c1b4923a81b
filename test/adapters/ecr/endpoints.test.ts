/**
 * credkit-ecr's endpoint rules against the AWS SDK's own resolvers (the reference): every partition,
 * FIPS, dual-stack, the legacy global STS endpoint and configured endpoints, for STS, ECR and ECR
 * Public. The SDK's resolvers load only through a bundler (vitest here), never in the binary.
 */
import { describe, expect, it } from 'vitest';
import { type AwsService, endpointSettings, resolveEndpoint } from '../../../adapters/ecr/endpoints.ts';
import { CredkitError } from '../../../core/index.ts';

/** One or more regions of every partition, the 16 legacy STS regions' neighbours, and an unknown region. */
const REGIONS = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'ap-east-1',
  'me-central-1',
  'aws-global',
  'cn-north-1',
  'cn-northwest-1',
  'us-gov-west-1',
  'us-gov-east-1',
  'eusc-de-east-1',
  'us-iso-east-1',
  'us-isob-east-1',
  'eu-isoe-west-1',
  'us-isof-south-1',
  'xx-future-1',
];
const FLAGS = [
  { fips: false, dualStack: false },
  { fips: true, dualStack: false },
  { fips: false, dualStack: true },
  { fips: true, dualStack: true },
];
type Resolver = (params: Record<string, unknown>) => { url: URL; properties?: Record<string, unknown> };
/** The SDK's own resolvers, from the clients' ES build (no declaration files; loaded by path). */
const resolver = async (client: string): Promise<Resolver> => {
  const path = `@aws-sdk/${client}/dist-es/endpoint/endpointResolver.js`;
  return ((await import(/* @vite-ignore */ path)) as { defaultEndpointResolver: Resolver }).defaultEndpointResolver;
};
const SDK: Record<AwsService, Resolver> = {
  ecr: await resolver('client-ecr'),
  'ecr-public': await resolver('client-ecr-public'),
  sts: await resolver('client-sts'),
};

type Outcome = { url: string; signingRegion: string } | { error: true };

function reference(service: AwsService, params: Record<string, unknown>): Outcome {
  try {
    const endpoint = SDK[service](params);
    const scheme = (endpoint.properties?.authSchemes as Array<{ signingRegion?: string }> | undefined)?.[0];
    return {
      url: endpoint.url.href.replace(/\/$/, ''),
      signingRegion: scheme?.signingRegion ?? String(params.Region),
    };
  } catch {
    return { error: true };
  }
}

function ours(service: AwsService, region: string, env: Record<string, string>): Outcome {
  try {
    return resolveEndpoint(service, region, endpointSettings(env, service));
  } catch (error) {
    if (error instanceof CredkitError && error.kind === 'usage') return { error: true };
    throw error;
  }
}

const cases = (['sts', 'ecr', 'ecr-public'] as AwsService[]).flatMap((service) =>
  REGIONS.flatMap((region) =>
    FLAGS.flatMap(({ fips, dualStack }) =>
      [false, true].map((legacy) => ({
        name: `${service} ${region}${fips ? ' FIPS' : ''}${dualStack ? ' dual-stack' : ''}${legacy ? ' legacy' : ''}`,
        service,
        region,
        params: { Region: region, UseFIPS: fips, UseDualStack: dualStack, UseGlobalEndpoint: legacy },
        env: {
          ...(fips ? { AWS_USE_FIPS_ENDPOINT: 'true' } : {}),
          ...(dualStack ? { AWS_USE_DUALSTACK_ENDPOINT: 'true' } : {}),
          ...(legacy ? { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' } : {}),
        },
      })),
    ),
  ),
);

describe('endpoints: the SDK resolvers as the reference', () => {
  it.each(cases)('$name', ({ service, region, params, env }) => {
    expect(ours(service, region, env)).toEqual(reference(service, params));
  });
});

describe('configured endpoints (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL)', () => {
  it.each([
    {
      name: 'the service variable',
      service: 'ecr' as const,
      env: { AWS_ENDPOINT_URL_ECR: 'https://vpce-1.ecr.example' },
      url: 'https://vpce-1.ecr.example',
    },
    {
      name: 'the service variable beats the global one',
      service: 'sts' as const,
      env: { AWS_ENDPOINT_URL_STS: 'https://sts.vpce', AWS_ENDPOINT_URL: 'https://all.vpce' },
      url: 'https://sts.vpce',
    },
    {
      name: 'the global one for ECR Public',
      service: 'ecr-public' as const,
      env: { AWS_ENDPOINT_URL: 'https://all.vpce:8443/' },
      url: 'https://all.vpce:8443',
    },
    {
      name: 'another service’s variable does not apply',
      service: 'ecr-public' as const,
      env: { AWS_ENDPOINT_URL_ECR: 'https://vpce-1.ecr.example' },
      url: 'https://api.ecr-public.us-west-2.amazonaws.com',
    },
    {
      name: 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
      service: 'ecr' as const,
      env: { AWS_ENDPOINT_URL_ECR: 'https://vpce-1.ecr.example', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' },
      url: 'https://api.ecr.us-west-2.amazonaws.com',
    },
    {
      name: 'legacy STS with a configured endpoint: the configured one, signed for the region',
      service: 'sts' as const,
      env: { AWS_ENDPOINT_URL_STS: 'https://sts.vpce', AWS_STS_REGIONAL_ENDPOINTS: 'legacy' },
      url: 'https://sts.vpce',
    },
  ])('$name', ({ service, env, url }) => {
    const endpoint = resolveEndpoint(service, 'us-west-2', endpointSettings(env, service));
    expect(endpoint).toEqual({ url, signingRegion: 'us-west-2' });
    const sdk = reference(service, {
      Region: 'us-west-2',
      UseFIPS: false,
      UseDualStack: false,
      UseGlobalEndpoint: env.AWS_STS_REGIONAL_ENDPOINTS === 'legacy',
      ...(url.includes('amazonaws') ? {} : { Endpoint: url }),
    });
    expect(sdk).toEqual({ url, signingRegion: 'us-west-2' });
  });

  it.each([
    {
      name: 'FIPS and a configured endpoint',
      env: { AWS_ENDPOINT_URL_ECR: 'https://x', AWS_USE_FIPS_ENDPOINT: 'true' },
    },
    { name: 'a configured endpoint that is not a URL', env: { AWS_ENDPOINT_URL_ECR: 'vpce.example' } },
    { name: 'a boolean that is not true or false', env: { AWS_USE_FIPS_ENDPOINT: 'yes' } },
  ])('refuses $name before any call (exit 2)', ({ env }) => {
    expect(() => resolveEndpoint('ecr', 'us-west-2', endpointSettings(env, 'ecr'))).toThrow(
      expect.objectContaining({ kind: 'usage' }),
    );
  });
});

/**
 * Fake AWS for ECR tests, behind real hostnames in a fake world (credkit/testing): STS
 * (AssumeRoleWithWebIdentity, verified against the world's issuer), ECR and ECR Public
 * (GetAuthorizationToken, SigV4-verified), IMDSv2 on 169.254.169.254, and the registries themselves,
 * which accept only passwords the fake ECR issued. Every server counts calls per endpoint and takes
 * injected faults (`fake.ecr.faults.push('GetAuthorizationToken', { status: 400, body: ... }, 3)`).
 */
import type { FakeServer, FakeWorld } from '../../../core/testing/index.ts';
import { awsJsonError, type EcrOptions, ecrHandler, ecrLabel } from './ecr.ts';
import { type AccessKey, FakeIam, type IssuedPassword, type RoleTrust } from './iam.ts';
import { imdsHandler, imdsLabel } from './imds.ts';
import { registryHandler, registryLabel } from './registry.ts';
import { stsError, stsHandler, stsLabel } from './sts.ts';

export type { AccessKey, EcrOptions, IssuedPassword, RoleTrust };
export { awsJsonError, ecrHandler, ecrLabel, FakeIam, stsError };

export interface FakeAwsOptions {
  /** The registry account (default 123456789012). */
  account?: string;
  /** Regions served by STS, ECR and the registries (default us-west-2, us-east-1). */
  regions?: string[];
  /** Role ARN → who may assume it with a web identity. */
  roles?: Record<string, RoleTrust>;
  /** The instance profile's role name for IMDS (default `eks-node`); null: an instance without one. */
  instanceRole?: string | null;
  /** The session STS grants without DurationSeconds (default 3600, STS's); roles cap DurationSeconds. */
  sessionSeconds?: number;
  /** Which principals may pull which repository from the registries (default: all). */
  canPull?(principal: string, repository: string): boolean;
}

export interface FakeAws {
  iam: FakeIam;
  account: string;
  sts: FakeServer;
  ecr: FakeServer;
  ecrPublic: FakeServer;
  imds: FakeServer;
  registry: FakeServer;
  /** The private registry host for a region (default the first region). */
  registryHost(region?: string): string;
  /** A static IAM user's key pair the fake accepts, e.g. for AWS_ACCESS_KEY_ID in node mode. */
  staticKey(principal?: string): AccessKey;
  /** Who ECR issued a registry password to (for "different roles, different credentials"). */
  principalOf(password: string): string | undefined;
}

/** DNS suffix of a region's partition, as the SDK's endpoint rules use it. */
export function dnsSuffix(region: string): string {
  if (region.startsWith('cn-')) return 'amazonaws.com.cn';
  if (region.startsWith('eusc-')) return 'amazonaws.eu';
  if (region.startsWith('us-isob-')) return 'sc2s.sgov.gov';
  if (region.startsWith('us-isof-')) return 'csp.hci.ic.gov';
  if (region.startsWith('us-iso-')) return 'c2s.ic.gov';
  if (region.startsWith('eu-isoe-')) return 'cloud.adc-e.uk';
  return 'amazonaws.com';
}

export async function startFakeAws(world: FakeWorld, options: FakeAwsOptions = {}): Promise<FakeAws> {
  const account = options.account ?? '123456789012';
  const regions = options.regions ?? ['us-west-2', 'us-east-1'];
  const iam = new FakeIam();
  for (const [arn, trust] of Object.entries(options.roles ?? {})) iam.roles.set(arn, trust);
  const host = (prefix: string, region: string) => `${prefix}.${region}.${dnsSuffix(region)}`;
  const registryHost = (region = regions[0] ?? 'us-west-2') => `${account}.dkr.ecr.${region}.${dnsSuffix(region)}`;
  const regionFrom = (prefix: string) => (name: string) => regions.find((r) => host(prefix, r) === name);

  const sts = await world.serve(
    ['sts.amazonaws.com', ...regions.map((r) => host('sts', r))],
    stsHandler({
      iam,
      issuer: world.issuer,
      ...(options.sessionSeconds ? { sessionSeconds: options.sessionSeconds } : {}),
    }),
    { label: stsLabel, name: 'sts' },
  );
  const ecr = await world.serve(
    regions.map((r) => host('api.ecr', r)),
    ecrHandler({
      iam,
      kind: 'private',
      regionOf: regionFrom('api.ecr'),
      registryFor: (region) => `https://${registryHost(region)}`,
    }),
    { label: ecrLabel, name: 'ecr' },
  );
  const ecrPublic = await world.serve(
    ['api.ecr-public.us-east-1.amazonaws.com'],
    ecrHandler({
      iam,
      kind: 'public',
      regionOf: (name) => (name === 'api.ecr-public.us-east-1.amazonaws.com' ? 'us-east-1' : undefined),
      registryFor: () => 'https://public.ecr.aws',
    }),
    { label: ecrLabel, name: 'ecr-public' },
  );
  const imds = await world.serve(
    ['169.254.169.254'],
    imdsHandler({
      iam,
      ...(options.instanceRole !== null ? { role: options.instanceRole ?? 'eks-node' } : {}),
    }),
    { label: imdsLabel, name: 'imds', tls: false },
  );
  const registries = regions.map((r) => registryHost(r));
  const registry = await world.serve(
    [...registries, 'public.ecr.aws', 'ecr-public.aws.com'],
    registryHandler({
      iam,
      scopeOf: (name) => {
        if (name === 'public.ecr.aws' || name === 'ecr-public.aws.com') return 'public';
        const region = regions.find((r) => registryHost(r) === name);
        return region ? `private:${region}` : undefined;
      },
      ...(options.canPull ? { canPull: options.canPull } : {}),
    }),
    { label: registryLabel, name: 'registry' },
  );

  return {
    iam,
    account,
    sts,
    ecr,
    ecrPublic,
    imds,
    registry,
    registryHost,
    staticKey: (principal = 'user/node') => iam.mintKey(principal, { temporary: false }),
    principalOf: (password) => iam.issued.find((p) => p.password === password)?.principal,
  };
}

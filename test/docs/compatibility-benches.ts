/**
 * Where docs/compatibility.md's cases run: one fake world per binary (strict fakes behind the
 * CONNECT proxy), and one exec of the compiled binary per case, as the kubelet runs it, with an
 * environment that holds nothing from this machine. What the fakes saw is kept for the `->` checks.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ecrHandler, ecrLabel, type FakeAws } from '../../adapters/ecr/fake/index.ts';
import {
  type FakeRequest,
  type FakeWorld,
  type KubeletResult,
  type KubeletRun,
  runLikeKubelet,
} from '../../core/testing/index.ts';
import { AUDIENCE as ACR_AUDIENCE, REGISTRY, startAcrWorld } from '../adapters/acr/world.ts';
import { startEcrWorld } from '../adapters/ecr/world.ts';
import { IMAGE as GAR_IMAGE, startGarWorld, WIF_STS_AUDIENCE } from '../adapters/gar/world.ts';
import { providerCommand } from '../support/commands.ts';
import type { Case } from './compatibility-table.ts';

export interface Bench {
  binary: string;
  world: FakeWorld;
  /** The audience a pod token carries unless the case says `token:<audience>`. */
  audience: string;
  run(c: Case): Promise<{ result: KubeletResult; requests: FakeRequest[] }>;
  close(): Promise<void>;
}

interface BenchSetup {
  binary: string;
  world: FakeWorld;
  audience: string;
  /** The pod whose token the request carries (a subject the fakes trust). */
  pod: { namespace: string; serviceAccount: string };
  image: string;
  /** The upstream base arguments before the case's words (may write a config file). */
  base(c: Case, dir: string): string[];
  /** `<name>` placeholders the words may use. */
  placeholders: Record<string, string>;
  close(): Promise<void>;
}

/** The world's regions for ECR cases: a second commercial region, GovCloud and China. */
export const ECR_REGIONS = ['us-west-2', 'us-east-1', 'eu-west-1', 'us-gov-west-1', 'cn-north-1'];

export async function startBenches(): Promise<Bench[]> {
  const dir = mkdtempSync(join(tmpdir(), 'credkit-compat-'));
  const [ecr, acr, gar] = await Promise.all([
    startEcrWorld({ regions: ECR_REGIONS }),
    startAcrWorld(),
    startGarWorld(),
  ]);
  await serveEcrVariants(ecr.world, ecr.aws);
  // IMDS's IPv6 address (AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6), routed to the same fake.
  for (const host of ['fd00:ec2::254', '[fd00:ec2::254]']) ecr.world.route(host, 80, ecr.aws.imds.port);
  // Another name for Azure's IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST).
  acr.world.route('imds.credkit.test', 80, acr.azure.imds.port);
  const externalAccount = join(dir, 'external_account.json');
  writeFileSync(externalAccount, JSON.stringify({ type: 'external_account', audience: WIF_STS_AUDIENCE }));
  const common = (world: FakeWorld) => ({
    '<external_account.json>': externalAccount,
    '<ca.pem>': world.ca.caFile,
    '<dir>': dir,
  });
  const setups: BenchSetup[] = [
    {
      binary: 'ecr',
      world: ecr.world,
      audience: 'sts.amazonaws.com',
      pod: { namespace: 'team-a', serviceAccount: 'puller' },
      image: `${ecr.aws.registryHost()}/team-a/app`,
      base: () => [],
      placeholders: { ...common(ecr.world), ...(await awsFiles(ecr.world, ecr.aws, dir)) },
      close: () => ecr.close(),
    },
    {
      binary: 'acr',
      world: acr.world,
      audience: ACR_AUDIENCE,
      pod: { namespace: 'team', serviceAccount: 'app-a' },
      image: `${REGISTRY}/team/app`,
      base: (c, where) => [azureJson(acr.configs.managed, c.config, where)],
      placeholders: {
        ...common(acr.world),
        // The identity-binding endpoint is dialled straight, at an address only the test knows.
        '<ib-apiserver-ip>': acr.azure.identityBinding?.address ?? '',
        '<ib-ca-file>': acr.azure.identityBinding?.caFile ?? '',
        '<AzureStackCloud.json>': acr.configs.azureStackEnvironment,
      },
      close: () => acr.close(),
    },
    {
      binary: 'gar',
      world: gar.world,
      audience: 'my-project.svc.id.goog',
      pod: { namespace: 'team', serviceAccount: 'puller' },
      image: GAR_IMAGE,
      base: () => ['get-credentials'],
      placeholders: common(gar.world),
      close: () => gar.close(),
    },
  ];
  let closed = 0;
  const closeDir = () => {
    closed += 1;
    if (closed === setups.length) rmSync(dir, { recursive: true, force: true });
  };
  return setups.map((setup) => bench(setup, dir, closeDir));
}

/**
 * What the AWS SDK's credential chain reads on a node, as placeholders: a static and a session key
 * pair the fake accepts, shared credentials and config files, a HOME with ~/.aws/credentials, a
 * web identity token file for team-a/puller, and a container credentials endpoint (169.254.170.23,
 * EKS Pod Identity's address) with its authorization token file.
 */
async function awsFiles(world: FakeWorld, aws: FakeAws, dir: string): Promise<Record<string, string>> {
  const fixed = aws.staticKey('user/env');
  const session = aws.iam.mintKey('user/session', { temporary: true, lifetimeMs: 3_600_000 });
  const pair = (key: typeof fixed) =>
    `aws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`;
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  };
  const container = aws.iam.mintKey('container/pod-identity', { temporary: true, lifetimeMs: 3_600_000 });
  const authorization = 'pod-identity-authorization-token';
  const containerServer = await world.serve(
    ['169.254.170.23:80'],
    (req) =>
      req.headers.authorization === authorization
        ? {
            body: {
              AccessKeyId: container.accessKeyId,
              SecretAccessKey: container.secretAccessKey,
              Token: container.sessionToken,
              Expiration: new Date(Date.now() + 3_600_000).toISOString(),
            },
          }
        : { status: 401, body: { message: 'no authorization token' } },
    { tls: false, name: 'container-credentials', label: () => 'container-credentials' },
  );
  return {
    '<account>': aws.account,
    '<access-key-id>': fixed.accessKeyId,
    '<secret-access-key>': fixed.secretAccessKey,
    '<session-access-key-id>': session.accessKeyId,
    '<session-secret-access-key>': session.secretAccessKey,
    '<session-token>': session.sessionToken ?? '',
    '<aws-credentials>': write('aws/credentials', `[team]\n${pair(fixed)}`),
    '<aws-config>': write('aws/config', `[profile cfg]\n${pair(fixed)}`),
    '<aws-home>': dirname(dirname(write('aws-home/.aws/credentials', `[default]\n${pair(fixed)}`))),
    '<web-identity-token>': write(
      'aws/web-identity-token',
      await world.issuer.mint({ namespace: 'team-a', serviceAccount: 'puller', audience: 'sts.amazonaws.com' }),
    ),
    '<container-authorization-token>': write('aws/pod-identity-token', authorization),
    // The JS SDK connects to it directly, not through HTTP_PROXY: a loopback URL it accepts.
    '<container-credentials-url>': `${containerServer.url}/v1/credentials`,
  };
}

/** ECR's FIPS and dual-stack API hosts for us-west-2 (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT). */
async function serveEcrVariants(world: FakeWorld, aws: FakeAws): Promise<void> {
  const handler = ecrHandler({
    iam: aws.iam,
    kind: 'private',
    regionOf: () => 'us-west-2',
    registryFor: (region) => `https://${aws.registryHost(region)}`,
  });
  await world.serve(['api.ecr-fips.us-west-2.amazonaws.com', 'ecr.us-west-2.api.aws'], handler, {
    label: ecrLabel,
    name: 'ecr-variants',
  });
}

/** The base azure.json with the case's `config:` keys over it (the base file itself when none). */
function azureJson(basePath: string, overrides: Record<string, unknown>, dir: string): string {
  if (Object.keys(overrides).length === 0) return basePath;
  const base = JSON.parse(readFileSync(basePath, 'utf8')) as Record<string, unknown>;
  const merged = { ...base, ...overrides };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete merged[key];
  const path = join(dir, `azure-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(merged));
  return path;
}

function bench(setup: BenchSetup, dir: string, onClose: () => void): Bench {
  const { world } = setup;
  const home = mkdtempSync(join(dir, `${setup.binary}-home-`));
  const inheritedEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...world.env };
  const fill = (text: string) =>
    Object.entries(setup.placeholders).reduce((out, [name, value]) => out.replaceAll(name, value), text);
  return {
    binary: setup.binary,
    world,
    audience: setup.audience,
    async run(c) {
      for (const server of world.servers) {
        server.resetCalls();
        server.faults.clear();
        for (const fault of c.faults) server.faults.push(fault.endpoint, { status: fault.status }, fault.times);
      }
      const token = c.tokenAudience
        ? await world.issuer.mint({ ...setup.pod, audience: fill(c.tokenAudience) })
        : undefined;
      const run: KubeletRun = {
        command: [...providerCommand(setup.binary), ...setup.base(c, dir), ...c.args.map(fill)],
        inheritedEnv,
        env: Object.fromEntries(Object.entries(c.env).map(([name, value]) => [name, fill(value)])),
        image: fill(c.image ?? setup.image),
        ...(token ? { serviceAccountToken: token, cacheType: 'ServiceAccount' as const } : {}),
        ...(Object.keys(c.annotations).length > 0
          ? {
              serviceAccountAnnotations: Object.fromEntries(
                Object.entries(c.annotations).map(([k, v]) => [k, fill(v)]),
              ),
            }
          : {}),
        ...kubeletKeys(c),
      };
      const result = await runLikeKubelet(run);
      return { result, requests: world.servers.flatMap((server) => server.requests) };
    },
    async close() {
      await setup.close();
      onClose();
    },
  };
}

function kubeletKeys(c: Case): Partial<KubeletRun> {
  const { apiVersion, cacheType, matchImages, defaultCacheDuration } = c.kubelet;
  return {
    ...(apiVersion ? { apiVersion } : {}),
    ...(cacheType ? { cacheType: cacheType as KubeletRun['cacheType'] } : {}),
    ...(matchImages ? { matchImages: matchImages.split(',') } : {}),
    ...(defaultCacheDuration ? { defaultCacheDuration } : {}),
  };
}

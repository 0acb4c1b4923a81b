/**
 * The setting every ECR process test shares: a fake world (CA, issuer, CONNECT proxy) with fake AWS
 * behind real hostnames, and a way to exec credkit-ecr exactly as the kubelet would, with an
 * environment that holds nothing from this machine (no ~/.aws, no AWS_* variables).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeAws, type FakeAwsOptions, startFakeAws } from '../../../adapters/ecr/fake/index.ts';
import {
  type FakeWorld,
  type KubeletResult,
  type KubeletRun,
  runLikeKubelet,
  startFakeWorld,
} from '../../../core/testing/index.ts';
import { providerCommand } from '../../support/commands.ts';
import { runInProcess } from '../../support/in-process.ts';

export const ROLE_A = 'arn:aws:iam::123456789012:role/team-a-puller';
export const ROLE_B = 'arn:aws:iam::123456789012:role/team-b-puller';
export const SUBJECT_A = 'system:serviceaccount:team-a:puller';
export const SUBJECT_B = 'system:serviceaccount:team-b:puller';

export interface EcrWorld {
  world: FakeWorld;
  aws: FakeAws;
  /** The kubelet's environment: PATH, an empty HOME, and the world's proxy and CA. */
  env: Record<string, string>;
  run(options: Partial<KubeletRun> & { image: string; args?: string[] }): Promise<KubeletResult>;
  mint(namespace: string, name: string, options?: { audience?: string; expiresInSeconds?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function startEcrWorld(options: FakeAwsOptions = {}): Promise<EcrWorld> {
  const world = await startFakeWorld();
  const aws = await startFakeAws(world, {
    roles: {
      [ROLE_A]: { subjects: [SUBJECT_A] },
      [ROLE_B]: { subjects: [SUBJECT_B] },
    },
    ...options,
  });
  const home = mkdtempSync(join(tmpdir(), 'credkit-ecr-home-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...world.env };
  return {
    world,
    aws,
    env,
    run: ({ args = [], env: extra, ...rest }) =>
      runLikeKubelet({ command: [...providerCommand('ecr'), ...args], inheritedEnv: env, env: extra ?? {}, ...rest }),
    mint: (namespace, name, mintOptions = {}) =>
      world.issuer.mint({
        namespace,
        serviceAccount: name,
        audience: mintOptions.audience ?? 'sts.amazonaws.com',
        ...(mintOptions.expiresInSeconds !== undefined ? { expiresInSeconds: mintOptions.expiresInSeconds } : {}),
      }),
    close: async () => {
      await world.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Every secret a run handled must be absent from both of its outputs' error paths and from stderr. */
export function secretsIn(result: KubeletResult, secrets: string[]): string[] {
  const text = result.exitCode === 0 ? result.stderr : result.stdout + result.stderr;
  return secrets.filter((secret) => secret.length > 0 && text.includes(secret));
}

export interface InProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  response?: { cacheDuration?: string; auth?: Record<string, { username: string; password: string }> };
  durationMs: number;
}

/**
 * One exec in this process (runProvider with the world's env): the same code path as the binary
 * without a process start, for the many flow cases. SDK settings read from process.env are not
 * used by these cases (explicit regions, STS credentials); node-identity cases run the binary.
 */
export async function invoke(
  ecr: EcrWorld,
  options: {
    image: string;
    token?: string;
    annotations?: Record<string, string>;
    args?: string[];
    env?: Record<string, string>;
  },
): Promise<InProcessResult> {
  const { provider } = await import('../../../adapters/ecr/index.ts');
  const request = {
    kind: 'CredentialProviderRequest',
    apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
    image: options.image,
    ...(options.token ? { serviceAccountToken: options.token } : {}),
    ...(options.annotations ? { serviceAccountAnnotations: options.annotations } : {}),
  };
  const started = performance.now();
  const {
    code: exitCode,
    stdout,
    stderr,
  } = await runInProcess(provider, {
    argv: options.args ?? [],
    env: { ...ecr.env, ...options.env },
    request: JSON.stringify(request),
  });
  return {
    exitCode,
    stdout,
    stderr,
    ...(exitCode === 0 ? { response: JSON.parse(stdout) } : {}),
    durationMs: performance.now() - started,
  };
}

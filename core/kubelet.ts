/**
 * The kubelet's side of one plugin exec, as product code: `credkit invoke` and `credkit doctor` use
 * it on real nodes' binaries, and the test kit (credkit/testing) re-exports it as the fake kubelet.
 * It runs a provider binary exactly as the kubelet's `execPlugin` does and judges the answer with
 * the kubelet's rules (research/kubelet-protocol.md §1.4-1.6, §3.3):
 *  - argv is the binary path plus the config's args; env is the kubelet's own env with the config's
 *    env appended (config wins); stdin is the encoded request then EOF; killed after 60 s;
 *  - stdout must be one JSON document, apiVersion byte-identical, strictly decoded, a valid
 *    cacheKeyType, and (service account mode, cacheType not Token) no password equal to the token.
 */
import { spawn } from 'node:child_process';
import { parseGoDuration } from './duration.ts';
import { matchingAuthKeys, parseImage, urlsMatch } from './image.ts';
import {
  API_VERSIONS,
  type ApiVersion,
  type CredentialProviderResponse,
  encodeRequest,
  GROUP,
  kubeletResponseSchema,
  type ServiceAccountCacheType,
} from './protocol.ts';

export interface KubeletRun {
  /** The provider executable and its config `args`. */
  command: string[];
  /** The config's `env` entries, appended after the inherited environment. */
  env?: Record<string, string>;
  /** The kubelet's own environment (default: this process's). */
  inheritedEnv?: Record<string, string | undefined>;
  image: string;
  /** `v1` (default), `v1beta1`, `v1alpha1`, or the full apiVersion. */
  apiVersion?: string;
  serviceAccountToken?: string;
  serviceAccountAnnotations?: Record<string, string>;
  /** tokenAttributes.cacheType of the config (service account mode only). */
  cacheType?: ServiceAccountCacheType;
  /** The config's matchImages: when given, the plugin is not run for images they do not match. */
  matchImages?: string[];
  /** The config's defaultCacheDuration (Go duration), used when the response has none. */
  defaultCacheDuration?: string;
  /** The kubelet's hard-coded exec timeout. */
  timeoutMs?: number;
  /** Override stdin bytes (for malformed-request tests). */
  stdin?: string | Buffer;
}

export interface KubeletVerdict {
  /** Whether the kubelet would use this answer. */
  valid: boolean;
  /** Why not, in the kubelet's terms (one per failed rule). */
  reasons: string[];
  /** Accepted by the kubelet, but wrong (e.g. a negative cacheDuration). */
  warnings: string[];
  /** The cache key base the kubelet would use: the image, the registry, or `<global>`. */
  cacheKey?: string;
  /** Seconds the kubelet would cache the answer (0: not cached). */
  cacheSeconds?: number;
  /** auth keys the keyring would use for this image, in the order tried. */
  matchingKeys: string[];
}

/** What the exec itself gave: exit, signal, the kubelet's 60 s kill, both outputs, wall time. */
export interface ExecResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface KubeletResult extends ExecResult {
  /** False when matchImages excluded the image, so the kubelet would not exec the plugin. */
  executed: boolean;
  request: string;
  response?: CredentialProviderResponse;
  verdict: KubeletVerdict;
}

export function fullApiVersion(version = 'v1'): ApiVersion {
  const full = version.includes('/') ? version : `${GROUP}/${version}`;
  if (!(API_VERSIONS as readonly string[]).includes(full)) throw new Error(`unknown apiVersion ${version}`);
  return full as ApiVersion;
}

export async function runLikeKubelet(run: KubeletRun): Promise<KubeletResult> {
  const exec = prepareExec(run);
  if (!exec.executed) return notExecuted(exec.request);
  return judgeExec(run, exec.request, await execPlugin(exec, run.timeoutMs ?? 60_000));
}

/** What the kubelet would exec for `run`: argv, env and stdin, or that matchImages rules it out. */
export type PreparedExec =
  | {
      executed: true;
      file: string;
      args: string[];
      env: Record<string, string | undefined>;
      stdin: string | Buffer;
      request: string;
    }
  | { executed: false; request: string };

/**
 * The exec `runLikeKubelet` would make, without making it: for a harness that starts many at once
 * through a spawner of its own (the benchmark's storm), then judges each with `judgeExec`.
 */
export function prepareExec(run: KubeletRun): PreparedExec {
  const apiVersion = fullApiVersion(run.apiVersion);
  const request = encodeRequest({
    apiVersion,
    image: run.image,
    ...(apiVersion.endsWith('/v1') && run.serviceAccountToken ? { serviceAccountToken: run.serviceAccountToken } : {}),
    ...(apiVersion.endsWith('/v1') && run.serviceAccountAnnotations
      ? { serviceAccountAnnotations: run.serviceAccountAnnotations }
      : {}),
  });
  if (run.matchImages && !run.matchImages.some((glob) => urlsMatch(glob, run.image))) {
    return { executed: false, request };
  }
  const [file, ...args] = run.command;
  if (!file) throw new Error('runLikeKubelet: command is empty');
  const env = { ...(run.inheritedEnv ?? process.env), ...(run.env ?? {}) };
  return { executed: true, file, args, env, stdin: run.stdin ?? request, request };
}

/** The kubelet's verdict on one exec of `run` (made by `runLikeKubelet` or by another spawner). */
export function judgeExec(run: KubeletRun, request: string, exec: ExecResult): KubeletResult {
  const judged = judgeResponse({
    stdout: exec.stdout,
    exitCode: exec.exitCode,
    apiVersion: fullApiVersion(run.apiVersion),
    image: run.image,
    serviceAccountToken: run.serviceAccountToken,
    cacheType: run.cacheType,
    defaultCacheDuration: run.defaultCacheDuration,
  });
  return { executed: true, ...exec, request, ...judged };
}

function notExecuted(request: string): KubeletResult {
  return {
    executed: false,
    exitCode: null,
    signal: null,
    timedOut: false,
    stdout: '',
    stderr: '',
    durationMs: 0,
    request,
    verdict: {
      valid: false,
      reasons: ['image not allowed by matchImages: plugin not executed'],
      warnings: [],
      matchingKeys: [],
    },
  };
}

function execPlugin(
  { file, args, env, stdin }: Extract<PreparedExec, { executed: true }>,
  timeoutMs: number,
): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // `close`, not `exit`: like cmd.Run, wait for stdout and stderr to be closed too.
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode,
        signal,
        timedOut,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        durationMs: performance.now() - started,
      });
    });
    child.stdin.on('error', () => {}); // a plugin may exit before reading all of stdin
    child.stdin.end(stdin);
  });
}

export interface JudgeInput {
  stdout: string;
  exitCode: number | null;
  apiVersion: ApiVersion;
  image: string;
  serviceAccountToken?: string;
  cacheType?: ServiceAccountCacheType;
  defaultCacheDuration?: string;
}

/** The kubelet's processing of one plugin answer (plugin.go `provide`), as a verdict. */
export function judgeResponse(input: JudgeInput): { response?: CredentialProviderResponse; verdict: KubeletVerdict } {
  const verdict: KubeletVerdict = { valid: false, reasons: [], warnings: [], matchingKeys: [] };
  if (input.exitCode !== 0) {
    verdict.reasons.push(`error execing credential provider plugin: exit status ${input.exitCode}`);
    return { verdict };
  }
  let json: unknown;
  try {
    json = JSON.parse(input.stdout);
  } catch {
    verdict.reasons.push('error reading GVK from response: stdout is not exactly one JSON document');
    return { verdict };
  }
  const meta = (json ?? {}) as { apiVersion?: unknown; kind?: unknown };
  if (meta.apiVersion !== input.apiVersion) {
    verdict.reasons.push(
      `apiVersion from credential plugin response did not match expected apiVersion:${input.apiVersion}, actual apiVersion:${String(meta.apiVersion)}`,
    );
    return { verdict };
  }
  const parsed = kubeletResponseSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'response'}: ${issue.message}`);
    const keyTypeOnly = parsed.error.issues.every((issue) => issue.path[0] === 'cacheKeyType');
    verdict.reasons.push(
      keyTypeOnly
        ? `credential provider plugin did not return a valid cacheKeyType: ${JSON.stringify((json as { cacheKeyType?: unknown }).cacheKeyType ?? '')}`
        : `error decoding credential provider plugin response from stdout (${issues.join('; ')})`,
    );
    return { verdict };
  }
  const response = parsed.data as CredentialProviderResponse;
  const auth = response.auth ?? {};
  if (
    input.serviceAccountToken &&
    input.cacheType !== 'Token' &&
    Object.values(auth).some((entry) => entry.password === input.serviceAccountToken)
  ) {
    verdict.reasons.push(
      `Credential provider plugin returned the service account token as the password for image ${JSON.stringify(input.image)}, which is not allowed when service account cache type is not set to 'Token'`,
    );
    return { response, verdict };
  }

  verdict.valid = true;
  verdict.cacheKey = cacheKeyBase(response.cacheKeyType, input.image);
  verdict.cacheSeconds = effectiveCacheSeconds(response.cacheDuration, input.defaultCacheDuration, verdict.warnings);
  verdict.matchingKeys = matchingAuthKeys(Object.keys(auth), input.image);
  if (Object.keys(auth).length > 0 && verdict.matchingKeys.length === 0) {
    verdict.warnings.push('no auth key matches the image: the kubelet will pull without these credentials');
  }
  return { response, verdict };
}

function cacheKeyBase(cacheKeyType: CredentialProviderResponse['cacheKeyType'], image: string): string {
  if (cacheKeyType === 'Image') return image;
  if (cacheKeyType === 'Global') return '<global>';
  return image.split('/')[0] ?? image;
}

function effectiveCacheSeconds(
  cacheDuration: string | undefined,
  fallback: string | undefined,
  warnings: string[],
): number {
  const text = cacheDuration ?? fallback ?? '0s';
  const nanos = parseGoDuration(text);
  if (nanos < 0n) {
    warnings.push(`negative cacheDuration ${text}: the entry is born expired`);
    return 0;
  }
  return Number(nanos / 1_000_000_000n);
}

/** The registry a Registry cache entry is keyed by (kubelet `parseRegistry`). */
export function registryOf(image: string): string {
  return parseImage(image).registry;
}

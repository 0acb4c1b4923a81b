/**
 * `credkit invoke <binary> --image IMG`: runs a provider exactly as the kubelet does and reports
 * what the kubelet would do with the answer. Never prints the credential itself.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  CredkitError,
  type FlagSpecs,
  type ServiceAccountCacheType,
  serviceAccountCacheTypeSchema,
} from '../core/index.ts';
import { type KubeletResult, runLikeKubelet } from '../core/kubelet.ts';
import { type CommandSpec, commandHelp, parseCommand } from './command.ts';

export const INVOKE_COMMAND = {
  name: 'invoke',
  usage: '<binary> --image IMAGE [flags] [-- binary args]',
  description: `Runs the provider as the kubelet does (argv, env, stdin, 60 s kill) and judges the answer by the
kubelet's rules. Passwords are shown as a length and a fingerprint, never in full.

A real service account token for --token-file, from a cluster (the audience is the provider's,
as \`credkit config\` prints it):
  kubectl create token <service-account> -n <namespace> --audience <audience> > token.jwt
In tests, mint one with credkit/testing: (await startFakeWorld()).issuer.mint({ audience, namespace,
serviceAccount }), and route the provider's hosts to fakes with world.serve and world.env.`,
  flags: {
    image: { type: 'string', value: 'IMAGE', description: 'the image the kubelet would ask about (required)' },
    'api-version': { type: 'string', value: 'V', description: 'v1 (default), v1beta1 or v1alpha1' },
    token: { type: 'string', value: 'TOKEN', description: 'the service account token to send' },
    'token-file': { type: 'string', value: 'FILE', description: 'the same, read from a file' },
    annotation: {
      type: 'string',
      value: 'KEY=VALUE',
      multiple: true,
      description: 'a service account annotation to forward',
    },
    'cache-type': { type: 'string', value: 'T', description: 'tokenAttributes.cacheType: ServiceAccount or Token' },
    env: { type: 'string', value: 'NAME=VALUE', multiple: true, description: 'a config env entry' },
    'default-cache-duration': { type: 'string', value: 'D', description: "the config's defaultCacheDuration" },
    json: { type: 'boolean', description: 'print the verdict as JSON' },
  },
} as const satisfies CommandSpec<FlagSpecs>;

export async function runInvokeCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const parsed = parseCommand(INVOKE_COMMAND, argv);
  if (parsed.help) return (out(commandHelp(INVOKE_COMMAND)), 0);
  const { values, positionals } = parsed;
  const [binary, ...args] = positionals;
  if (!binary || !values.image)
    throw new CredkitError('usage', 'credkit invoke needs a binary and --image: see credkit invoke --help');
  const token = values.token ?? (values['token-file'] ? readTokenFile(values['token-file']) : undefined);
  const result = await runLikeKubelet({
    command: [resolve(binary), ...args],
    image: values.image,
    apiVersion: values['api-version'] ?? 'v1',
    env: pairs(values.env ?? [], '--env'),
    ...(token ? { serviceAccountToken: token } : {}),
    ...(values.annotation ? { serviceAccountAnnotations: pairs(values.annotation, '--annotation') } : {}),
    ...(values['cache-type'] ? { cacheType: cacheType(values['cache-type']) } : {}),
    ...(values['default-cache-duration'] ? { defaultCacheDuration: values['default-cache-duration'] } : {}),
  });
  out(values.json ? `${JSON.stringify(summary(result), null, 2)}\n` : report(result));
  return result.verdict.valid ? 0 : 1;
}

/** A token file as `kubectl create token ... > token.jwt` writes it (trailing newline trimmed). */
export function readTokenFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new CredkitError('usage', `cannot read --token-file ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
}

function cacheType(value: string): ServiceAccountCacheType {
  const parsed = serviceAccountCacheTypeSchema.safeParse(value);
  if (!parsed.success)
    throw new CredkitError('usage', `--cache-type must be ServiceAccount or Token, got ${JSON.stringify(value)}`);
  return parsed.data;
}

export function pairs(entries: string[], flag: string): Record<string, string> {
  return Object.fromEntries(
    entries.map((entry) => {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new CredkitError('usage', `${flag} wants KEY=VALUE, got ${JSON.stringify(entry)}`);
      return [entry.slice(0, eq), entry.slice(eq + 1)];
    }),
  );
}

/** The verdict without secrets: passwords become a length and a short fingerprint. */
export function summary(result: KubeletResult) {
  const auth = Object.entries(result.response?.auth ?? {}).map(([key, entry]) => ({
    key,
    username: entry.username,
    password: fingerprint(entry.password),
  }));
  return {
    exitCode: result.exitCode,
    durationMs: Math.round(result.durationMs),
    valid: result.verdict.valid,
    reasons: result.verdict.reasons,
    warnings: result.verdict.warnings,
    cacheKeyType: result.response?.cacheKeyType,
    cacheKey: result.verdict.cacheKey,
    cacheSeconds: result.verdict.cacheSeconds,
    matchingKeys: result.verdict.matchingKeys,
    auth,
    stderr: result.stderr.trim().split('\n').filter(Boolean),
  };
}

function fingerprint(secret: string): string {
  return `<${secret.length} chars, sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}>`;
}

function report(result: KubeletResult): string {
  const s = summary(result);
  const lines = [
    `exit code:    ${s.exitCode} (${s.durationMs} ms)`,
    `kubelet:      ${s.valid ? 'would use this answer' : 'would REJECT this answer'}`,
    ...s.reasons.map((reason) => `  reason:     ${reason}`),
    ...s.warnings.map((warning) => `  warning:    ${warning}`),
  ];
  if (s.valid) {
    lines.push(
      `cache:        ${s.cacheSeconds ? `${s.cacheSeconds}s under key ${s.cacheKey} (${s.cacheKeyType})` : 'not cached'}`,
      `auth keys:    ${s.auth.map((a) => `${a.key} (${a.username}, ${a.password})`).join(', ') || 'none (anonymous pull)'}`,
      `used for the image: ${s.matchingKeys.join(', ') || 'none'}`,
    );
  }
  if (s.stderr.length > 0) lines.push('stderr:', ...s.stderr.map((line) => `  ${line}`));
  return `${lines.join('\n')}\n`;
}

/**
 * `credkit invoke <binary> --image IMG`: runs a provider exactly as the kubelet does and reports
 * what the kubelet would do with the answer. Never prints the credential itself.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CredkitError, type ServiceAccountCacheType, serviceAccountCacheTypeSchema } from '../core/index.ts';
import { type KubeletResult, runLikeKubelet } from '../core/kubelet.ts';

export const INVOKE_HELP = `usage: credkit invoke <binary> --image IMAGE [flags] [-- binary args]

Runs the provider as the kubelet does (argv, env, stdin, 60 s kill) and judges the answer.

flags:
  --image IMAGE               the image the kubelet would ask about (required)
  --api-version V             v1 (default), v1beta1 or v1alpha1
  --token TOKEN               the service account token to send (or --token-file)
  --token-file FILE
  --annotation KEY=VALUE      a service account annotation to forward (repeatable)
  --cache-type T              tokenAttributes.cacheType: ServiceAccount or Token
  --env NAME=VALUE            a config env entry (repeatable)
  --default-cache-duration D  the config's defaultCacheDuration
  --json                      print the verdict as JSON
`;

export async function runInvokeCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      image: { type: 'string' },
      'api-version': { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      annotation: { type: 'string', multiple: true },
      'cache-type': { type: 'string' },
      env: { type: 'string', multiple: true },
      'default-cache-duration': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (out(INVOKE_HELP), 0);
  const [binary, ...args] = positionals;
  if (!binary || !values.image)
    throw new CredkitError('usage', 'credkit invoke needs a binary and --image: see --help');
  const token = values.token ?? (values['token-file'] ? readFileSync(values['token-file'], 'utf8').trim() : undefined);
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

function cacheType(value: string): ServiceAccountCacheType {
  const parsed = serviceAccountCacheTypeSchema.safeParse(value);
  if (!parsed.success)
    throw new CredkitError('usage', `--cache-type must be ServiceAccount or Token, got ${JSON.stringify(value)}`);
  return parsed.data;
}

function pairs(entries: string[], flag: string): Record<string, string> {
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

/**
 * `credkit doctor`: for one image on one node, which providers the kubelet would run and why each
 * would fail. Reads the kubelet's own config and bin dir, applies the kubelet's rules in order
 * (config validity, matchImages, the binary, token audience), and with --run execs the providers
 * like the kubelet and judges their answers.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ConfiguredProvider,
  readCredentialProviderConfig,
  validateCredentialProviderConfig,
} from '../core/config.ts';
import { audiences, CredkitError, decodeServiceAccountToken, urlsMatch } from '../core/index.ts';
import { runLikeKubelet } from '../core/kubelet.ts';
import { summary } from './invoke.ts';

export const DOCTOR_HELP = `usage: credkit doctor --config PATH --bin-dir DIR --image IMAGE [flags]

Explains, for one image, which credential providers the kubelet would run and why they would fail.

flags:
  --config PATH        the kubelet's --image-credential-provider-config (file or directory)
  --bin-dir DIR        the kubelet's --image-credential-provider-bin-dir
  --image IMAGE        the image, as the kubelet sends it (e.g. 123.dkr.ecr.us-west-2.amazonaws.com/app)
  --token-file FILE    a service account token to check (and send, with --run)
  --annotation K=V     a service account annotation (repeatable)
  --run                also exec each matching provider as the kubelet would
`;

interface Finding {
  ok: boolean;
  text: string;
}

export async function runDoctorCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'bin-dir': { type: 'string' },
      image: { type: 'string' },
      'token-file': { type: 'string' },
      annotation: { type: 'string', multiple: true },
      run: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (out(DOCTOR_HELP), 0);
  if (!values.config || !values['bin-dir'] || !values.image) {
    throw new CredkitError('usage', 'credkit doctor needs --config, --bin-dir and --image: see --help');
  }
  const findings: Finding[] = [];
  const providers = loadConfig(values.config, findings);
  checkBinDir(values['bin-dir'], findings);
  const token = values['token-file'] ? readFileSync(values['token-file'], 'utf8').trim() : undefined;
  const annotations = Object.fromEntries(
    (values.annotation ?? []).map((a) => [a.split('=')[0], a.split('=').slice(1).join('=')]),
  );
  const matching = providers.filter((p) =>
    (p.matchImages ?? []).some((glob) => urlsMatch(glob, values.image as string)),
  );
  if (providers.length > 0 && matching.length === 0) {
    findings.push({
      ok: false,
      text: `no provider's matchImages matches ${values.image}: the kubelet pulls without plugin credentials (remember: ports must match exactly and /* in a path is literal)`,
    });
  }
  for (const provider of matching) {
    findings.push({
      ok: true,
      text: `provider ${provider.name} matches ${values.image} (matchImages ${JSON.stringify(provider.matchImages)})`,
    });
    checkBinary(values['bin-dir'], provider, findings);
    if (token) checkToken(provider, token, findings);
    if (values.run) await runProvider(values['bin-dir'], provider, values.image, token, annotations, findings);
  }
  out(`${findings.map((f) => `${f.ok ? 'ok  ' : 'FAIL'} ${f.text}`).join('\n')}\n`);
  return findings.every((f) => f.ok) ? 0 : 1;
}

function loadConfig(path: string, findings: Finding[]): ConfiguredProvider[] {
  let providers: ConfiguredProvider[];
  try {
    providers = readCredentialProviderConfig(path);
  } catch (error) {
    findings.push({ ok: false, text: `config ${path}: ${(error as Error).message} (the kubelet will not start)` });
    return [];
  }
  const errors = validateCredentialProviderConfig(providers);
  for (const error of errors) findings.push({ ok: false, text: `config: ${error} (the kubelet will not start)` });
  if (errors.length === 0)
    findings.push({ ok: true, text: `config ${path} is valid: ${providers.length} provider(s)` });
  return providers;
}

function checkBinDir(dir: string, findings: Finding[]): void {
  try {
    if (statSync(dir).isDirectory()) return;
  } catch {}
  findings.push({ ok: false, text: `plugin binary directory ${dir} did not exist (the kubelet will not start)` });
}

function checkBinary(dir: string, provider: ConfiguredProvider, findings: Finding[]): void {
  const path = join(dir, provider.name);
  try {
    accessSync(path, constants.X_OK);
    findings.push({ ok: true, text: `binary ${path} is executable` });
  } catch {
    findings.push({
      ok: false,
      text: `plugin binary executable ${path} did not exist or is not executable (the kubelet will not start): install it there or fix the provider name`,
    });
  }
}

function checkToken(provider: ConfiguredProvider, token: string, findings: Finding[]): void {
  const expected = provider.tokenAttributes?.serviceAccountTokenAudience;
  if (!expected) {
    findings.push({
      ok: false,
      text: `provider ${provider.name} has no tokenAttributes: the kubelet will not send it a service account token`,
    });
    return;
  }
  try {
    const claims = decodeServiceAccountToken(token);
    const have = audiences(claims);
    const expired = claims.exp !== undefined && claims.exp * 1000 < Date.now();
    findings.push({
      ok: have.includes(expected) && !expired,
      text: expired
        ? `the token of ${claims.sub} has expired`
        : have.includes(expected)
          ? `token audience ${JSON.stringify(have)} includes ${expected}`
          : `token audience is ${JSON.stringify(have)}, the config asks for ${expected}`,
    });
  } catch (error) {
    findings.push({ ok: false, text: (error as Error).message });
  }
}

async function runProvider(
  dir: string,
  provider: ConfiguredProvider,
  image: string,
  token: string | undefined,
  annotations: Record<string, string>,
  findings: Finding[],
): Promise<void> {
  const result = await runLikeKubelet({
    command: [join(dir, provider.name), ...(provider.args ?? [])],
    env: Object.fromEntries((provider.env ?? []).map((e) => [e.name, e.value])),
    image,
    apiVersion: provider.apiVersion ?? 'v1',
    ...(token && provider.tokenAttributes
      ? { serviceAccountToken: token, serviceAccountAnnotations: annotations }
      : {}),
    ...(provider.tokenAttributes?.cacheType
      ? { cacheType: provider.tokenAttributes.cacheType as 'Token' | 'ServiceAccount' }
      : {}),
    ...(provider.defaultCacheDuration ? { defaultCacheDuration: provider.defaultCacheDuration } : {}),
  });
  const s = summary(result);
  const why = s.valid
    ? `cached ${s.cacheSeconds}s, keys used: ${s.matchingKeys.join(', ') || 'none'}`
    : [...s.reasons, ...s.stderr].join(' | ');
  findings.push({
    ok: s.valid && (s.matchingKeys.length > 0 || s.auth.length === 0),
    text: `run ${provider.name}: ${s.valid ? 'answer accepted' : 'answer rejected'} (${why})`,
  });
}

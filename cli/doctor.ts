/**
 * `credkit doctor`: for one image on one node, which providers the kubelet would run and why each
 * would fail. Reads the kubelet's own config and bin dir, applies the kubelet's rules in order
 * (config validity, matchImages, the binary, token audience), and with --run execs the providers
 * like the kubelet and judges their answers.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type ConfiguredProvider,
  readCredentialProviderConfig,
  validateCredentialProviderConfig,
} from '../core/config.ts';
import { audiences, CredkitError, decodeServiceAccountToken, type FlagSpecs, urlsMatch } from '../core/index.ts';
import { runLikeKubelet } from '../core/kubelet.ts';
import { type CommandSpec, commandHelp, parseCommand } from './command.ts';
import { pairs, readTokenFile, summary } from './invoke.ts';

export const DOCTOR_COMMAND = {
  name: 'doctor',
  usage: '--config PATH --bin-dir DIR --image IMAGE [flags]',
  description: `Explains, for one image, which credential providers the kubelet would run and why they would fail:
the config by the kubelet's own validation (what \`credkit config\` writes passes), matchImages, the
binary in the bin dir, the token's audience, and with --run each matching provider's answer.`,
  flags: {
    config: {
      type: 'string',
      value: 'PATH',
      description: "the kubelet's --image-credential-provider-config (file or directory)",
    },
    'bin-dir': { type: 'string', value: 'DIR', description: "the kubelet's --image-credential-provider-bin-dir" },
    image: {
      type: 'string',
      value: 'IMAGE',
      description: 'the image, as the kubelet sends it (e.g. 123.dkr.ecr.us-west-2.amazonaws.com/app)',
    },
    'token-file': {
      type: 'string',
      value: 'FILE',
      description: 'a service account token to check (and send, with --run)',
    },
    annotation: { type: 'string', value: 'KEY=VALUE', multiple: true, description: 'a service account annotation' },
    run: { type: 'boolean', description: 'also exec each matching provider as the kubelet would' },
  },
} as const satisfies CommandSpec<FlagSpecs>;

interface Finding {
  ok: boolean;
  text: string;
}

export async function runDoctorCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const parsed = parseCommand(DOCTOR_COMMAND, argv);
  if (parsed.help) return (out(commandHelp(DOCTOR_COMMAND)), 0);
  const { values } = parsed;
  if (!values.config || !values['bin-dir'] || !values.image) {
    throw new CredkitError('usage', 'credkit doctor needs --config, --bin-dir and --image: see credkit doctor --help');
  }
  const image = values.image;
  // The kubelet's bin dir is absolute; a relative one is the operator's cwd (a bare file name would
  // be looked up on PATH when exec'd).
  const binDir = resolve(values['bin-dir']);
  const findings: Finding[] = [];
  const providers = loadConfig(values.config, findings);
  checkBinDir(binDir, findings);
  const token = values['token-file'] ? readTokenFile(values['token-file']) : undefined;
  const annotations = pairs(values.annotation ?? [], '--annotation');
  const matching = providers.filter((p) => (p.matchImages ?? []).some((glob) => urlsMatch(glob, image)));
  if (providers.length > 0 && matching.length === 0) {
    findings.push({
      ok: false,
      text: `no provider's matchImages matches ${image}: the kubelet pulls without plugin credentials (remember: ports must match exactly and /* in a path is literal)`,
    });
  }
  for (const provider of matching) {
    findings.push({
      ok: true,
      text: `provider ${provider.name} matches ${image} (matchImages ${JSON.stringify(provider.matchImages)})`,
    });
    checkBinary(binDir, provider, findings);
    if (token) checkToken(provider, token, findings);
    if (values.run) await runProvider(binDir, provider, image, token, annotations, findings);
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

/**
 * `--credential-config`: the `external_account` JSON that `gcloud iam workload-identity-pools
 * create-cred-config` writes and users already have. Its audience, endpoints and impersonation are
 * kept; its credential_source (a token file, URL or executable) is replaced by the pod's token the
 * kubelet sends. Endpoints must stay on Google: the file is where the pod's token is sent.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { CredkitError } from '../../core/index.ts';
import {
  checkServiceAccountEmail,
  checkStsAudience,
  DEFAULT_LIFETIME_SECONDS,
  DEFAULT_UNIVERSE,
  type Federation,
  federationFor,
} from './federation.ts';

/** The fields of an `external_account` file that matter here; its credential_source is replaced by the pod's token. */
const credentialConfigSchema = z.looseObject({
  type: z.literal('external_account', 'type must be external_account (a workload identity federation configuration)'),
  audience: z.string().check(z.minLength(1)),
  subject_token_type: z.optional(
    z.enum(
      ['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token'],
      'a service account token is a JWT',
    ),
  ),
  token_url: z.optional(z.url()),
  service_account_impersonation_url: z.optional(z.url()),
  service_account_impersonation: z.optional(
    z.object({ token_lifetime_seconds: z.int().check(z.minimum(600), z.maximum(43_200)) }),
  ),
  universe_domain: z.optional(z.string().check(z.regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/))),
  workforce_pool_user_project: z.optional(
    z.never('workforce pools federate people, not workloads: use a workload identity pool'),
  ),
});

const configCache = new Map<string, Federation>();

export function fromCredentialConfig(path: string): Federation {
  const cached = configCache.get(path);
  if (cached) return cached;
  const parsed = credentialConfigSchema.safeParse(readJson(path));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CredkitError(
      'usage',
      `--credential-config ${path}: ${issue?.path.join('.') || 'file'}: ${issue?.message}`,
    );
  }
  const file = parsed.data;
  const universe = file.universe_domain ?? DEFAULT_UNIVERSE;
  const base = federationFor(checkStsAudience(file.audience, `--credential-config ${path}: audience`), universe);
  const result: Federation = {
    ...base,
    ...(file.token_url ? { tokenUrl: checkGoogleUrl(file.token_url, universe, path, 'token_url') } : {}),
    ...(file.subject_token_type ? { subjectTokenType: file.subject_token_type } : {}),
    ...(file.service_account_impersonation_url
      ? { impersonate: impersonationEmail(file.service_account_impersonation_url, universe, path) }
      : {}),
    lifetimeSeconds: file.service_account_impersonation?.token_lifetime_seconds ?? DEFAULT_LIFETIME_SECONDS,
  };
  configCache.set(path, result);
  return result;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CredkitError(
      'usage',
      `cannot read --credential-config ${path} (${code}): fix the path in the kubelet config args`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CredkitError(
      'usage',
      `--credential-config ${path} is not JSON: regenerate it with gcloud iam workload-identity-pools create-cred-config`,
    );
  }
}

/** The pod's token goes only to Google: an https URL on the universe's domain. */
function checkGoogleUrl(url: string, universe: string, path: string, field: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' || !parsed.hostname.endsWith(`.${universe}`)) {
    throw new CredkitError(
      'usage',
      `--credential-config ${path}: ${field} ${url} is not an https endpoint on ${universe}`,
    );
  }
  return url;
}

const IMPERSONATION_PATH = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/;

function impersonationEmail(url: string, universe: string, path: string): string {
  const parsed = new URL(checkGoogleUrl(url, universe, path, 'service_account_impersonation_url'));
  const match = IMPERSONATION_PATH.exec(parsed.pathname);
  if (parsed.hostname !== `iamcredentials.${universe}` || !match) {
    throw new CredkitError(
      'usage',
      `--credential-config ${path}: service_account_impersonation_url must be ` +
        `https://iamcredentials.${universe}/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken`,
    );
  }
  return checkServiceAccountEmail(decodeURIComponent(match[1] as string), `--credential-config ${path}`);
}

/**
 * The command line and its meaning. credkit-gar takes upstream auth-provider-gcp's arguments
 * unchanged (`get-credentials`, `--authFlow`, `--identity-provider`, `--project-id`; research/gcp-gar.md
 * §1.1) plus the self-managed workload identity federation inputs (`--sts-audience` from upstream's
 * open PR #1248, or the `external_account` credential configuration file users already generate).
 * Everything is validated on every exec, before the image is even looked at, so a typo in the
 * kubelet config fails loudly instead of silently pulling anonymously.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CredkitError, type FlagSpecs, type FlagValues } from '../../core/index.ts';
import { checkServiceAccountEmail } from './identity.ts';

export const GAR_FLAGS = {
  authFlow: {
    type: 'string',
    short: 'a',
    default: 'gcr',
    description: 'upstream auth flow; only gcr (the metadata server or workload identity) is supported',
  },
  'identity-provider': {
    type: 'string',
    description: 'GKE workload identity: the cluster issuer URL (needs --project-id)',
  },
  'project-id': { type: 'string', description: 'GKE workload identity: the project of the PROJECT.svc.id.goog pool' },
  'sts-audience': {
    type: 'string',
    description:
      'self-managed federation: //iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/X',
  },
  'credential-config': {
    type: 'string',
    description: 'self-managed federation: an external_account credential configuration JSON file',
  },
} as const satisfies FlagSpecs;

export type GarFlags = FlagValues<typeof GAR_FLAGS>;

export const AUTH_FLOWS = ['gcr', 'dockercfg', 'dockercfg-url'] as const;
export const SUBCOMMAND = 'get-credentials';

const DEFAULT_UNIVERSE = 'googleapis.com';
const DEFAULT_LIFETIME_SECONDS = 3600;

/** How pods' tokens become Google access tokens, when they do. */
export interface Federation {
  /** The STS `audience`: `identitynamespace:...` (GKE) or `//iam.googleapis.com/...` (a pool provider). */
  stsAudience: string;
  /** What the pod's token `aud` must contain for that STS audience to accept it. */
  tokenAudience: string;
  tokenUrl: string;
  subjectTokenType: string;
  /** `https://iamcredentials.<universe>`; generateAccessToken is only ever called there. */
  iamCredentialsUrl: string;
  /** A Google service account every pod impersonates unless its own annotation names one. */
  impersonate?: string;
  lifetimeSeconds: number;
}

export type GarConfig =
  | { mode: 'node' }
  /** GKE: STS only for service accounts that opt in with iam.gke.io/enable-wi-image-pull. */
  | { mode: 'gke'; federation: Federation }
  /** Self-managed: STS for every pod that comes with a token. */
  | { mode: 'federation'; federation: Federation };

/** Reads and checks the command line; throws a usage error naming the fix. */
export function readConfig(flags: GarFlags, positionals: string[] = []): GarConfig {
  checkPositionals(positionals);
  checkAuthFlow(flags.authFlow ?? 'gcr');
  const identityProvider = flags['identity-provider'] || undefined;
  const stsAudience = flags['sts-audience'] || undefined;
  const credentialConfig = flags['credential-config'] || undefined;
  const given = [
    identityProvider && '--identity-provider',
    stsAudience && '--sts-audience',
    credentialConfig && '--credential-config',
  ].filter(Boolean);
  if (given.length > 1) {
    throw new CredkitError(
      'usage',
      `${given.join(' and ')} are exclusive: give the one workload identity source you use`,
    );
  }
  if (identityProvider) return { mode: 'gke', federation: gkeFederation(identityProvider, flags['project-id']) };
  if (stsAudience)
    return { mode: 'federation', federation: federation(checkStsAudience(stsAudience, '--sts-audience')) };
  if (credentialConfig) return { mode: 'federation', federation: fromCredentialConfig(credentialConfig) };
  return { mode: 'node' };
}

function checkPositionals(positionals: string[]): void {
  const extra = positionals.filter((word, i) => !(i === 0 && word === SUBCOMMAND));
  if (extra.length > 0) {
    throw new CredkitError('usage', `unknown command ${JSON.stringify(extra[0])}: the only command is ${SUBCOMMAND}`);
  }
}

/** Upstream's check and message (getcredentials.go, AuthFlowFlagError): case-sensitive. */
function checkAuthFlow(flow: string): void {
  if (!(AUTH_FLOWS as readonly string[]).includes(flow)) {
    throw new CredkitError(
      'usage',
      `invalid value ${JSON.stringify(flow)} for authFlow (must be one of "gcr", "dockercfg", or "dockercfg-url")`,
    );
  }
  // The dockercfg flows hand a metadata attribute's credentials to whatever hosts it names; that
  // is what imagePullSecrets are for, and it cannot keep to "Google hosts only".
  if (flow !== 'gcr') {
    throw new CredkitError(
      'usage',
      `--authFlow=${flow} is not supported by credkit-gar: drop the flag (gcr is the default) and move the ` +
        'google-dockercfg credentials to an imagePullSecret',
    );
  }
}

// Project ids are 6-30 characters; legacy domain-scoped ones carry a `domain:` prefix.
const PROJECT_ID = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

function gkeFederation(identityProvider: string, projectId: string | undefined): Federation {
  if (!projectId) throw new CredkitError('usage', '--project-id is required when --identity-provider is set');
  if (!PROJECT_ID.test(projectId)) {
    throw new CredkitError('usage', `--project-id ${JSON.stringify(projectId)} is not a project id (like my-project)`);
  }
  if (!/^https:\/\/[^\s/]+/.test(identityProvider)) {
    throw new CredkitError(
      'usage',
      `--identity-provider ${JSON.stringify(identityProvider)} is not an https URL: use the cluster's issuer, ` +
        'https://container.googleapis.com/v1/projects/P/locations/L/clusters/C',
    );
  }
  // The GKE workload identity pool form; the pod's token is minted for the pool itself
  // (research/gcp-gar.md §2.1, §2.2).
  const pool = `${projectId}.svc.id.goog`;
  return { ...federation(`identitynamespace:${pool}:${identityProvider}`), tokenAudience: pool };
}

const POOL_PROVIDER =
  /^\/\/iam\.[a-z0-9.-]+\/projects\/[^/\s]+\/locations\/global\/workloadIdentityPools\/[^/\s]+\/providers\/[^/\s]+$/;
const IDENTITY_NAMESPACE = /^identitynamespace:([^:\s]+):\S+$/;

function checkStsAudience(audience: string, source: string): string {
  if (audience.startsWith('https://iam.')) {
    throw new CredkitError(
      'usage',
      `${source} ${audience} is the token audience form: give STS the scheme-relative ${audience.slice('https:'.length)}`,
    );
  }
  if (!POOL_PROVIDER.test(audience) && !IDENTITY_NAMESPACE.test(audience)) {
    throw new CredkitError(
      'usage',
      `${source} ${JSON.stringify(audience)} is not a workload identity provider: want ` +
        '//iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER',
    );
  }
  return audience;
}

/**
 * A pool provider accepts, by default, tokens whose `aud` is its own resource name in https form
 * (research/gcp-gar.md §2.2); an `identitynamespace:` audience wants the pool name.
 */
function tokenAudienceFor(stsAudience: string): string {
  const namespace = IDENTITY_NAMESPACE.exec(stsAudience);
  if (namespace) return namespace[1] as string;
  return `https:${stsAudience}`;
}

function federation(stsAudience: string, universe = DEFAULT_UNIVERSE): Federation {
  return {
    stsAudience,
    tokenAudience: tokenAudienceFor(stsAudience),
    tokenUrl: `https://sts.${universe}/v1/token`,
    subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
    iamCredentialsUrl: `https://iamcredentials.${universe}`,
    lifetimeSeconds: DEFAULT_LIFETIME_SECONDS,
  };
}

/** The fields of an `external_account` file that matter here; its credential_source is replaced by the pod's token. */
const credentialConfigSchema = z.looseObject({
  type: z.literal('external_account', 'type must be external_account (a workload identity federation configuration)'),
  audience: z.string().min(1),
  subject_token_type: z
    .enum(
      ['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token'],
      'a service account token is a JWT',
    )
    .optional(),
  token_url: z.url().optional(),
  service_account_impersonation_url: z.url().optional(),
  service_account_impersonation: z.object({ token_lifetime_seconds: z.int().min(600).max(43_200) }).optional(),
  universe_domain: z
    .string()
    .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/)
    .optional(),
  workforce_pool_user_project: z
    .never('workforce pools federate people, not workloads: use a workload identity pool')
    .optional(),
});

const configCache = new Map<string, Federation>();

function fromCredentialConfig(path: string): Federation {
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
  const base = federation(checkStsAudience(file.audience, `--credential-config ${path}: audience`), universe);
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

/** The audience the pod's token must carry, or undefined in node mode (tokens are not used). */
export function tokenAudienceOf(config: GarConfig): string | undefined {
  return config.mode === 'node' ? undefined : config.federation.tokenAudience;
}

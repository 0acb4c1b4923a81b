/**
 * The command line and its meaning. credkit-gar takes upstream auth-provider-gcp's arguments
 * unchanged (`get-credentials`, `--authFlow`, `--identity-provider`, `--project-id`; research/gcp-gar.md
 * §1.1) plus the self-managed workload identity federation inputs (`--sts-audience` from upstream's
 * open PR #1248, or the `external_account` credential configuration file users already generate).
 * Everything is validated on every exec, before the image is even looked at, so a typo in the
 * kubelet config fails loudly instead of silently pulling anonymously.
 */
import { CredkitError, type FlagSpecs, type FlagValues, quote } from '../../core/index.ts';
import { fromCredentialConfig } from './credential-config.ts';
import { checkStsAudience, type Federation, federationFor } from './federation.ts';

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
export type GarConfig =
  | { mode: 'node' }
  /**
   * GKE: STS only for service accounts that opt in with iam.gke.io/enable-wi-image-pull. `notes`:
   * flag values upstream accepts that look wrong, logged as warnings rather than refused.
   */
  | { mode: 'gke'; federation: Federation; notes: string[] }
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
  if (identityProvider) return { mode: 'gke', ...gkeFederation(identityProvider, flags['project-id']) };
  if (stsAudience)
    return { mode: 'federation', federation: federationFor(checkStsAudience(stsAudience, '--sts-audience')) };
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

/**
 * Upstream takes any --identity-provider and any non-empty --project-id (getcredentials.go): values
 * that look wrong are warned about, not refused, so a config that works upstream works here.
 */
function gkeFederation(identityProvider: string, projectId: string | undefined) {
  if (!projectId) throw new CredkitError('usage', '--project-id is required when --identity-provider is set');
  const notes: string[] = [];
  if (!PROJECT_ID.test(projectId)) {
    notes.push(`--project-id ${quote(projectId)} does not look like a project id (like my-project)`);
  }
  if (!/^https:\/\/[^\s/]+/.test(identityProvider)) {
    notes.push(
      `--identity-provider ${quote(identityProvider)} is not an https URL; GKE's is ` +
        'https://container.googleapis.com/v1/projects/P/locations/L/clusters/C',
    );
  }
  // The GKE workload identity pool form; the pod's token is minted for the pool itself
  // (research/gcp-gar.md §2.1, §2.2).
  const pool = `${projectId}.svc.id.goog`;
  const federation: Federation = {
    ...federationFor(`identitynamespace:${pool}:${identityProvider}`),
    tokenAudience: pool,
  };
  return { federation, notes };
}

/** The audience the pod's token must carry, or undefined in node mode (tokens are not used). */
export function tokenAudienceOf(config: GarConfig): string | undefined {
  return config.mode === 'node' ? undefined : config.federation.tokenAudience;
}

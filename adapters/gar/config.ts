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
    description:
      'gcr (the node or pod identity, Google hosts), dockercfg or dockercfg-url (the instance attribute google-dockercfg[-url])',
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
export type AuthFlow = (typeof AUTH_FLOWS)[number];
export type GarConfig =
  | { mode: 'node' }
  /**
   * The dockercfg flows: the credentials the instance's metadata holds, for the registries it names.
   * `notes`: identity flags given with them, which only the gcr flow uses (warned, as upstream).
   */
  | { mode: 'dockercfg'; flow: Exclude<AuthFlow, 'gcr'>; notes: string[] }
  /**
   * GKE: STS only for service accounts that opt in with iam.gke.io/enable-wi-image-pull. `notes`:
   * flag values upstream accepts that look wrong, logged as warnings rather than refused.
   */
  | { mode: 'gke'; federation: Federation; notes: string[] }
  /** Self-managed: STS for every pod that comes with a token. */
  | { mode: 'federation'; federation: Federation };

/** The configs of the gcr flow, where an identity (the node's or the pod's) answers. */
export type IdentityConfig = Exclude<GarConfig, { mode: 'dockercfg' }>;

/** Reads and checks the command line; throws a usage error naming the fix. */
export function readConfig(flags: GarFlags, positionals: string[] = []): GarConfig {
  checkPositionals(positionals);
  const flow = checkAuthFlow(flags.authFlow ?? 'gcr');
  const identityProvider = flags['identity-provider'] || undefined;
  const stsAudience = flags['sts-audience'] || undefined;
  const credentialConfig = flags['credential-config'] || undefined;
  // Upstream's order (validateFlags): the flow, then --project-id, whichever the flow.
  if (identityProvider && !flags['project-id']) {
    throw new CredkitError('usage', '--project-id is required when --identity-provider is set');
  }
  const given = [
    identityProvider && '--identity-provider',
    stsAudience && '--sts-audience',
    credentialConfig && '--credential-config',
  ].filter((name): name is string => Boolean(name));
  if (flow !== 'gcr') return { mode: 'dockercfg', flow, notes: given.map((name) => onlyForGcr(name, flow)) };
  if (given.length > 1) {
    throw new CredkitError(
      'usage',
      `${given.join(' and ')} are exclusive: give the one workload identity source you use`,
    );
  }
  if (identityProvider) return { mode: 'gke', ...gkeFederation(identityProvider, flags['project-id'] as string) };
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
function checkAuthFlow(flow: string): AuthFlow {
  if (!(AUTH_FLOWS as readonly string[]).includes(flow)) {
    throw new CredkitError(
      'usage',
      `invalid value ${JSON.stringify(flow)} for authFlow (must be one of "gcr", "dockercfg", or "dockercfg-url")`,
    );
  }
  return flow as AuthFlow;
}

/** Upstream's warning for --identity-provider (and PR #1248's for --sts-audience): taken, then unused. */
function onlyForGcr(flag: string, flow: AuthFlow): string {
  return `${flag} was set but --authFlow is ${JSON.stringify(flow)}: it only has effect when --authFlow=gcr`;
}

// Project ids are 6-30 characters; legacy domain-scoped ones carry a `domain:` prefix.
const PROJECT_ID = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/**
 * Upstream takes any --identity-provider and any non-empty --project-id (getcredentials.go): values
 * that look wrong are warned about, not refused, so a config that works upstream works here.
 */
function gkeFederation(identityProvider: string, projectId: string) {
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

/** The audience the pod's token must carry, or undefined when tokens are not used (node, dockercfg). */
export function tokenAudienceOf(config: GarConfig): string | undefined {
  return config.mode === 'node' || config.mode === 'dockercfg' ? undefined : config.federation.tokenAudience;
}

/**
 * Where a pod's token is exchanged and for what: the STS audience (the pool provider), the audience
 * the pod's token must carry for it, the Google endpoints, which are always on the universe
 * domain, and the Google service account it may act as (research/gcp-gar.md §2.2, §5.2, §5.3).
 */
import { CredkitError, type ErrorKind, quote } from '../../core/index.ts';

export const DEFAULT_UNIVERSE = 'googleapis.com';
export const DEFAULT_LIFETIME_SECONDS = 3600;

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

const POOL_PROVIDER =
  /^\/\/iam\.[a-z0-9.-]+\/projects\/[^/\s]+\/locations\/global\/workloadIdentityPools\/[^/\s]+\/providers\/[^/\s]+$/;
const IDENTITY_NAMESPACE = /^identitynamespace:([^:\s]+):\S+$/;

export function checkStsAudience(audience: string, source: string): string {
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

export function federationFor(stsAudience: string, universe = DEFAULT_UNIVERSE): Federation {
  return {
    stsAudience,
    tokenAudience: tokenAudienceFor(stsAudience),
    tokenUrl: `https://sts.${universe}/v1/token`,
    subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
    iamCredentialsUrl: `https://iamcredentials.${universe}`,
    lifetimeSeconds: DEFAULT_LIFETIME_SECONDS,
  };
}

// name@project.iam.gserviceaccount.com, NUMBER-compute@developer.gserviceaccount.com,
// service-NUMBER@gcp-sa-x.iam.gserviceaccount.com: lower case, no `/`, `:`, `%`, `?` or `#`, so
// the address can only ever name an account on iamcredentials, never another path or host.
const SERVICE_ACCOUNT_EMAIL = /^[a-z0-9][a-z0-9._-]{0,99}@(?:[a-z0-9][a-z0-9-]*\.)+gserviceaccount\.com$/;

/** Checks a Google service account email before it goes into a URL path; `source` names where it came from. */
export function checkServiceAccountEmail(email: string, source: string, kind: ErrorKind = 'usage'): string {
  if (email.length > 254 || !SERVICE_ACCOUNT_EMAIL.test(email) || email.includes('..')) {
    throw new CredkitError(
      kind,
      `${source}: ${quote(email)} is not a Google service account email ` +
        '(want NAME@PROJECT.iam.gserviceaccount.com)',
    );
  }
  return email;
}

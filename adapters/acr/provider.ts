/**
 * credkit-acr: a drop-in for kubernetes-sigs/cloud-provider-azure's acr-credential-provider
 * (research/azure-acr.md). Same command line (`<azure.json> [--registry-mirror=src:dst,...]`), same
 * identities, plus the pod's own Entra identity through its service account token.
 */
import { type Context, type Credential, CredkitError, defineProvider, parseImage } from '../../core/index.ts';
import { CLIENT_ID_ANNOTATION, chooseIdentity, TENANT_ID_ANNOTATION } from './identity.ts';
import { ACR_MATCH_IMAGES, type AcrTarget, parseRegistryMirrors, resolveAcrTarget } from './registry.ts';

/** The audience Entra ID federated identity credentials expect by convention. */
export const ENTRA_TOKEN_AUDIENCE = 'api://AzureADTokenExchange';
const SAFETY_MARGIN_SECONDS = 300;
/**
 * A static service principal secret has no expiry we can see; upstream caches 60 min. We cache for
 * AKS's defaultCacheDuration, 10 min, so a secret rotated in azure.json is picked up soon.
 */
const STATIC_SECRET_CACHE_MS = 10 * 60 * 1000;
/** upstream's keys for static credentials: every ACR in every cloud. */
const STATIC_KEYS = ['*.azurecr.io', '*.azurecr.cn', '*.azurecr.de', '*.azurecr.us'];

const flags = {
  'registry-mirror': {
    type: 'string',
    short: 'r',
    description: 'src:dst[,src:dst]: images on registry src are pulled from ACR dst, with the node identity',
  },
  'service-principal-auth': {
    type: 'string',
    default: 'secret',
    description:
      'with the azure.json service principal: "secret" returns its secret as upstream does; "token" exchanges it for a refresh token for that one registry',
  },
} as const;

type Scope = Pick<Context<typeof flags>, 'flags' | 'positionals'>;

/** Checks the command line as upstream does: exactly one argument, the config file. */
function configPath(scope: Scope): string {
  const [path, ...extra] = scope.positionals;
  if (!path)
    throw new CredkitError('usage', 'config file is not specified: pass the path to azure.json as the argument');
  if (extra.length > 0) {
    throw new CredkitError(
      'usage',
      `expected exactly one argument (config file), got ${scope.positionals.length}: ${scope.positionals.join(' ')}`,
    );
  }
  return path;
}

function servicePrincipalAuth(scope: Scope): 'secret' | 'token' {
  const mode = scope.flags['service-principal-auth'] ?? 'secret';
  if (mode !== 'secret' && mode !== 'token') {
    throw new CredkitError('usage', `--service-principal-auth must be secret or token, got ${JSON.stringify(mode)}`);
  }
  return mode;
}

function targetOf(image: Context['image'], scope: Scope): AcrTarget | null {
  configPath(scope);
  servicePrincipalAuth(scope);
  return resolveAcrTarget(image, parseRegistryMirrors(scope.flags['registry-mirror']));
}

export const provider = defineProvider({
  name: 'credkit-acr',
  version: '0.1.0',
  description:
    "Azure Container Registry credentials from the node managed identity, its service principal, or the pod's Entra workload identity",
  matchImages: ACR_MATCH_IMAGES,
  positionals: '<azure.json>',
  flags,
  audience: ENTRA_TOKEN_AUDIENCE,
  annotations: { optional: [CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION] },
  cacheType: 'ServiceAccount',
  requireServiceAccount: false,
  defaultCacheDuration: '10m',
  cacheKeyType: 'Registry',
  safetyMarginSeconds: SAFETY_MARGIN_SECONDS,
  help: [
    'Images: <name>.azurecr.{io,cn,de,us}, geo-replicas <name>.<region>.geo.azurecr.*, and --registry-mirror sources.',
    `Service account mode: annotate the service account with ${CLIENT_ID_ANNOTATION} and ${TENANT_ID_ANNOTATION};`,
    `the kubelet token audience is ${ENTRA_TOKEN_AUDIENCE}. Without annotations the node identity is used.`,
    'Env: AZURE_AUTHORITY_HOST (Entra ID authority), AZURE_POD_IDENTITY_AUTHORITY_HOST (IMDS), HTTPS_PROXY, NO_PROXY.',
  ].join('\n'),
  servesImage: (image, scope) => targetOf(image, scope) !== null,
  async getCredentials(ctx): Promise<Credential | null> {
    const target = targetOf(ctx.image, ctx);
    if (!target) return null;
    const { authorityHost, loadAzureConfig } = await import('./config.ts');
    const config = await loadAzureConfig(configPath(ctx));
    ctx.log.redactor.add(config.aadClientSecret);
    const identity = chooseIdentity(config, target, ctx.serviceAccount);
    if (identity.kind === 'servicePrincipal' && servicePrincipalAuth(ctx) === 'secret') {
      ctx.log.v(2).info('returning the azure.json service principal', { clientId: identity.clientId });
      return {
        username: identity.clientId,
        password: identity.clientSecret,
        // Rounded up to a whole second so the duration reads 10m0s, not 9m59s.
        expiresAt: new Date(
          Math.ceil((ctx.now() + STATIC_SECRET_CACHE_MS) / 1000) * 1000 + SAFETY_MARGIN_SECONDS * 1000,
        ),
        keys: [...new Set([...target.keys, ...STATIC_KEYS])],
      };
    }
    const { exchangeCredential } = await import('./flow.ts');
    return exchangeCredential(ctx, identity, target, authorityHost(config, ctx.env), SAFETY_MARGIN_SECONDS);
  },
});

/** For `credkit invoke` and tests: parse an image the way the kubelet sends it, then resolve it. */
export function acrTargetOf(image: string, registryMirror?: string): AcrTarget | null {
  return resolveAcrTarget(parseImage(image), parseRegistryMirrors(registryMirror));
}

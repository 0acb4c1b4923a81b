/**
 * credkit-acr: a drop-in for kubernetes-sigs/cloud-provider-azure's acr-credential-provider
 * (research/azure-acr.md). Same command line (`<azure.json> [--registry-mirror=src:dst,...]`), same
 * identities, plus the pod's own Entra identity through its service account token.
 */
import { type Context, type Credential, defineProvider, parseImage, quote } from '../../core/index.ts';
import { isAzureStack, readCloudEnvironment } from './cloud.ts';
import { ACR_FLAGS, type AcrScope, authorityHost, configPath, servicePrincipalAuth } from './config.ts';
import { CLIENT_ID_ANNOTATION, chooseIdentity, exchangesToken, TENANT_ID_ANNOTATION } from './identity.ts';
import { IDENTITY_BINDING_AUDIENCE, identityBindingsOf } from './identity-binding.ts';
import {
  ACR_MATCH_IMAGES,
  type AcrTarget,
  parseRegistryMirrors,
  type RegistryMirrors,
  resolveAcrTarget,
} from './registry.ts';

/** The audience Entra ID federated identity credentials expect by convention. */
export const ENTRA_TOKEN_AUDIENCE = 'api://AzureADTokenExchange';
/**
 * A static service principal secret has no expiry we can see; upstream caches 60 min. We cache for
 * AKS's defaultCacheDuration, 10 min, so a secret rotated in azure.json is picked up soon.
 */
const STATIC_SECRET_CACHE_SECONDS = 10 * 60;
/** upstream's keys for static credentials: every ACR in every cloud. */
const STATIC_KEYS = ['*.azurecr.io', '*.azurecr.cn', '*.azurecr.de', '*.azurecr.us'];

function targetOf(
  image: Context['image'],
  scope: AcrScope & Pick<Context, 'env'> & Partial<Pick<Context, 'log'>>,
): AcrTarget | null {
  configPath(scope);
  servicePrincipalAuth(scope);
  identityBindingsOf(scope.flags);
  return resolveAcrTarget(
    image,
    mirrorsOf(scope.flags['registry-mirror'], scope.log),
    () => readCloudEnvironment(scope.env)?.containerRegistryDNSSuffix,
  );
}

/** The exec asks for the mirrors up to three times (serves, exchanges, answers): parse and warn once. */
let parsedMirrors: { value: string | undefined; mirrors: RegistryMirrors } | undefined;
function mirrorsOf(value: string | undefined, log: Context['log'] | undefined): RegistryMirrors {
  if (parsedMirrors && parsedMirrors.value === value) return parsedMirrors.mirrors;
  const mirrors = parseRegistryMirrors(value, (entry, why) =>
    log?.warn(`skipping --registry-mirror entry ${quote(entry)}: it ${why}`),
  );
  parsedMirrors = { value, mirrors };
  return mirrors;
}

export const provider = defineProvider({
  name: 'credkit-acr',
  version: '0.1.0',
  description:
    "Azure Container Registry credentials from the node managed identity, its service principal, or the pod's Entra workload identity",
  matchImages: ACR_MATCH_IMAGES,
  positionals: '<azure.json>',
  flags: ACR_FLAGS,
  // acr-credential-provider adds component-base's logging flags (logs.AddFlags): -v, --vmodule, ...
  logFlags: 'component-base',
  audience: ({ flags }) => (flags['ib-sni-name'] ? IDENTITY_BINDING_AUDIENCE : ENTRA_TOKEN_AUDIENCE),
  annotations: { optional: [CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION] },
  exchangesToken: ({ request, image, ...scope }) =>
    exchangesToken(request.serviceAccountAnnotations ?? {}, targetOf(image, scope), identityBindingsOf(scope.flags)),
  cacheType: 'ServiceAccount',
  requireServiceAccount: false,
  defaultCacheDuration: '10m',
  cacheKeyType: 'Registry',
  help: [
    'Images: <name>.azurecr.{io,cn,de,us}, geo-replicas <name>.<region>.geo.azurecr.*, and --registry-mirror sources.',
    `Service account mode: annotate the service account with ${CLIENT_ID_ANNOTATION} and ${TENANT_ID_ANNOTATION};`,
    `the kubelet token audience is ${ENTRA_TOKEN_AUDIENCE}. Without annotations the node identity is used.`,
    `Identity bindings (--ib-sni-name, AKS): the audience is ${IDENTITY_BINDING_AUDIENCE}; every pod's token is traded at the`,
    'API server (straight to --ib-apiserver-ip, never through HTTPS_PROXY, trusting only --ib-ca-file).',
    'Env: AZURE_AUTHORITY_HOST (Entra ID authority), AZURE_POD_IDENTITY_AUTHORITY_HOST (IMDS), HTTPS_PROXY, NO_PROXY.',
  ].join('\n'),
  servesImage: (image, scope) => targetOf(image, scope) !== null,
  async getCredentials(ctx): Promise<Credential | null> {
    const target = targetOf(ctx.image, ctx);
    if (!target) return null;
    const { loadAzureConfig } = await import('./azure-json.ts');
    const config = await loadAzureConfig(configPath(ctx), ctx.env);
    ctx.log.redactor.add(config.aadClientSecret);
    // Upstream reads the environment file only for AzureStackCloud: its suffix is no one else's.
    if (target.customCloud && !isAzureStack(config.cloud)) return null;
    const identity = chooseIdentity(config, target, ctx.serviceAccount, identityBindingsOf(ctx.flags));
    if (identity.kind === 'servicePrincipal' && servicePrincipalAuth(ctx) === 'secret') {
      ctx.log.v(2).info('returning the azure.json service principal', { clientId: identity.clientId });
      return {
        username: identity.clientId,
        password: identity.clientSecret,
        unknownExpirySeconds: STATIC_SECRET_CACHE_SECONDS,
        keys: [...new Set([...target.keys, ...STATIC_KEYS, ...customCloudKeys(config)])],
      };
    }
    const { refreshTokenCredential } = await import('./refresh-token.ts');
    return refreshTokenCredential(ctx, identity, target, authorityHost(config, ctx.env));
  },
});

/** As upstream's `*<containerRegistryDNSSuffix>` key: the secret serves every ACR of the custom cloud. */
function customCloudKeys(config: { environment?: { containerRegistryDNSSuffix?: string } }): string[] {
  const suffix = config.environment?.containerRegistryDNSSuffix;
  return suffix ? [`*.${suffix}`] : [];
}

/** For `credkit invoke` and tests: parse an image the way the kubelet sends it, then resolve it. */
export function acrTargetOf(image: string, registryMirror?: string): AcrTarget | null {
  return resolveAcrTarget(parseImage(image), parseRegistryMirrors(registryMirror));
}

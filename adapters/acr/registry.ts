/**
 * Which images are ours. Upstream matched `^[a-zA-Z0-9]+\.azurecr\.(io|cn|de|us)` and then fell
 * back to a plain substring search for the cloud's registry suffix, which let
 * `foo.azurecr.io.example` through (research/azure-acr.md §1.4, cloud-provider-azure#8255). Here a
 * host is ours only when it is, whole, an ACR login server: `<name>.azurecr.<tld>`, a geo-replica
 * `<name>.<region>.geo.azurecr.<tld>`, or a domain-name-label name `<name>-<hash>` (#10720).
 */
import type { ImageRef } from '../../core/index.ts';

const NAME = '[a-z0-9]+(?:-[a-z0-9]+)?';
const TLD = 'azurecr\\.(?:io|cn|de|us)';
const LOGIN_SERVER = new RegExp(`^${NAME}\\.${TLD}$`, 'i');
const GEO_REPLICA = new RegExp(`^${NAME}\\.[a-z0-9]+\\.geo\\.${TLD}$`, 'i');

/** The kubelet matchImages that cover every host `isAcrHost` accepts (AKS writes the same list). */
export const ACR_MATCH_IMAGES = ['io', 'cn', 'de', 'us'].flatMap((tld) => [
  `*.azurecr.${tld}`,
  `*.*.geo.azurecr.${tld}`,
]);

export function isAcrHost(host: string): boolean {
  return LOGIN_SERVER.test(host) || GEO_REPLICA.test(host);
}

/**
 * The registry a host belongs to: a geo-replica (regional endpoint) `<name>.<region>.geo.azurecr.<tld>`
 * is a login server of `<name>.azurecr.<tld>`, which ACR names as the challenge's `service`; any other
 * ACR host is its own.
 */
export function baseLoginServer(host: string): string {
  const lower = host.toLowerCase();
  if (!GEO_REPLICA.test(lower)) return lower;
  const [name, , , ...suffix] = lower.split('.');
  return [name, ...suffix].join('.');
}

/**
 * A custom cloud's registry suffix (AzureStackCloud's `containerRegistryDNSSuffix`, cloud.ts):
 * hosts `<name>.<suffix>` are that cloud's ACRs. Upstream finds the suffix anywhere in the image
 * (a substring search); here the host must end with it, one name label before it.
 */
export function isCustomCloudHost(host: string, suffix: string | undefined): boolean {
  if (!suffix) return false;
  const lower = host.toLowerCase();
  const tail = `.${suffix.toLowerCase()}`;
  return lower.endsWith(tail) && new RegExp(`^${NAME}$`).test(lower.slice(0, -tail.length));
}

/** `--registry-mirror=src:dst[,src:dst]`: images on `src` are pulled from the ACR `dst`. */
export type RegistryMirrors = ReadonlyMap<string, string>;

/**
 * Parses the mirror flag as upstream does (spaces dropped, comma-separated `src:dst`). A bad entry
 * is skipped and reported through `skipped`, as upstream logs and skips it: one typo must not stop
 * every ACR pull on the node. Unlike upstream, a target must be an ACR login server, so no ACR
 * token is ever sent to another host (docs/compatibility.md).
 */
export function parseRegistryMirrors(
  value: string | undefined,
  skipped: (entry: string, why: string) => void = () => {},
): RegistryMirrors {
  const mirrors = new Map<string, string>();
  const text = (value ?? '').replaceAll(' ', '');
  for (const entry of text.split(',').filter(Boolean)) {
    const parts = entry.split(':');
    const [source, target] = parts;
    if (parts.length !== 2 || !source || !target) {
      skipped(entry, 'is not src:dst (hosts without ports, e.g. mcr.microsoft.com:myacr.azurecr.io)');
    } else if (!isAcrHost(target)) {
      skipped(entry, `maps to ${target}, which is not an ACR login server (<name>.azurecr.io)`);
    } else {
      mirrors.set(source.toLowerCase(), target.toLowerCase());
    }
  }
  return mirrors;
}

/** The registry to get a credential from, and the auth keys that credential answers for. */
export interface AcrTarget {
  /** `host` of the ACR to call: the image's own, or the mirror target. */
  loginServer: string;
  /** The mirror source registry when the image was mirrored (then node identity is used). */
  mirrorSource?: string;
  /** auth keys for the response: the registry as the image names it, plus the mirror target. */
  keys: string[];
  /**
   * A custom cloud's registry, whose token realm credkit cannot derive: it is read from the `/v2/`
   * challenge (and pinned to this host). Every Azure ACR host's realm is known (challenge.ts).
   */
  customCloud?: boolean;
}

/** Resolves an image to its ACR, or null when the image is not ours. */
export function resolveAcrTarget(
  image: ImageRef,
  mirrors: RegistryMirrors,
  /** A custom cloud's registry suffix, asked only for a host that is no Azure ACR's. */
  customSuffix: () => string | undefined = () => undefined,
): AcrTarget | null {
  const mirrored = mirrors.get(image.registry.toLowerCase());
  if (mirrored) return { loginServer: mirrored, mirrorSource: image.registry, keys: [image.registry, mirrored] };
  // ACR serves only 443; any other port is someone else's server with a look-alike name.
  if (image.port !== undefined && image.port !== '443') return null;
  const customCloud = !isAcrHost(image.host) && isCustomCloudHost(image.host, customSuffix());
  if (!isAcrHost(image.host) && !customCloud) return null;
  const loginServer = image.host.toLowerCase();
  return { loginServer, keys: [...new Set([image.registry, loginServer])], ...(customCloud ? { customCloud } : {}) };
}

/**
 * Which entries of a node's dockercfg go into one answer. Upstream returns every entry for every
 * image and leaves the choice to the kubelet's keyring; here only the entries the kubelet could use
 * for what it will cache are returned, so a registry's password is not handed out for another's
 * image:
 *  - Image: the entries whose key matches the image (the kubelet's URLsMatch, keys normalised as its
 *    keyring does), most specific first, as the keyring tries them;
 *  - Registry: the entries for the image's registry (any path on it), since the kubelet reuses the
 *    answer for every image there; when none of them covers the whole registry, the answer is keyed
 *    to the Image instead, so images elsewhere on it get their own exec instead of no credentials;
 *  - Global: every entry, since the kubelet reuses the answer for every image.
 * Entries without a username or password are left out: the kubelet would try them as an anonymous pull.
 */
import { type CacheKeyType, type ImageRef, matchingAuthKeys, normaliseAuthKey, urlsMatch } from '../../core/index.ts';
import type { DockerConfigEntry } from './dockercfg.ts';

export interface Selection {
  /** The most specific entry for the image: the answer's credential. */
  first: DockerConfigEntry;
  /** The other entries in the answer. */
  others: DockerConfigEntry[];
  keyType: CacheKeyType;
}

/** The entries that answer `image`, or undefined when none of them matches it. */
export function selectEntries(
  entries: DockerConfigEntry[],
  image: ImageRef,
  keyType: CacheKeyType,
): Selection | undefined {
  const usable = entries.filter((entry) => entry.username !== '' || entry.password !== '');
  const forImage = matchingAuthKeys(
    usable.map((entry) => entry.key),
    image.name,
  ).map((key) => usable.find((entry) => entry.key === key) as DockerConfigEntry);
  const [first, ...rest] = forImage;
  if (!first) return undefined;
  if (keyType === 'Global') return { first, others: usable.filter((entry) => entry !== first), keyType };
  if (keyType === 'Registry') {
    const forRegistry = usable.filter((entry) => onRegistry(entry.key, image.registry));
    if (forRegistry.some((entry) => !normaliseAuthKey(entry.key).includes('/'))) {
      return { first, others: forRegistry.filter((entry) => entry !== first), keyType };
    }
  }
  return { first, others: rest, keyType: 'Image' };
}

/** Whether a key could match some image on `registry` (`host[:port]`): its host and port do. */
function onRegistry(key: string, registry: string): boolean {
  const [host = ''] = normaliseAuthKey(key).split('/');
  return urlsMatch(host, registry);
}

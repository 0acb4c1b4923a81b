/**
 * The command line and its meaning. Quay has no upstream kubelet plugin to stay compatible with, so
 * credkit-quay takes one flag of its own: `--registry`, the Quay hosts it answers for (quay.io when
 * none is given). Checked on every exec, before the image is looked at, so a typo in the kubelet
 * config fails loudly instead of silently pulling anonymously.
 */
import { CredkitError, type FlagSpecs, type FlagValues } from '../../core/index.ts';

export const QUAY_FLAGS = {
  registry: {
    type: 'string',
    multiple: true,
    description: 'a Quay host (host[:port]) to answer for, repeatable; replaces the default quay.io',
  },
} as const satisfies FlagSpecs;

export type QuayFlags = FlagValues<typeof QUAY_FLAGS>;

/** The hosted service; self-hosted Red Hat Quay (>= 3.13) comes in through --registry. */
export const QUAY_IO = 'quay.io';

export interface QuayConfig {
  /** `host[:port]`, lower case, in the order given: the images this provider answers for. */
  registries: string[];
  /**
   * The audience the pod's token is minted for: the first registry's host, the name Quay itself
   * uses as the audience of the tokens it issues (SERVER_HOSTNAME). Quay does not check `aud` on
   * this path (exchange.ts), so the choice is the cluster's: a Quay-only audience keeps the token
   * useless to any other relying party. `--token-audience` (the core's) overrides it.
   */
  audience: string;
}

// A DNS name (labels of letters, digits and hyphens) with an optional port: what a registry host
// in an image reference can be. No scheme, path or userinfo: the host is where the pod's token goes.
const REGISTRY_HOST =
  /^(?=.{1,253}(?::|$))[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::(\d{1,5}))?$/;

/** Reads and checks the command line; throws a usage error naming the fix. */
export function readConfig(flags: QuayFlags): QuayConfig {
  const given = flags.registry ?? [];
  const registries = given.length > 0 ? [...new Set(given.map(checkRegistry))] : [QUAY_IO];
  const first = registries[0] as string;
  return { registries, audience: first.replace(/:\d+$/, '') };
}

function checkRegistry(value: string): string {
  const host = value.trim().toLowerCase();
  const port = REGISTRY_HOST.exec(host)?.[1];
  if (REGISTRY_HOST.test(host) && (port === undefined || (Number(port) > 0 && Number(port) < 65_536))) return host;
  const hint = /^[a-z]+:\/\//.test(host) || host.includes('/') ? ': give the host alone, without scheme or path' : '';
  throw new CredkitError(
    'usage',
    `--registry ${JSON.stringify(value.slice(0, 100))} is not a registry host (like quay.example.com or quay.example.com:8443)${hint}`,
  );
}

/**
 * One GET on the GCE metadata server (research/gcp-gar.md §5.1), for every path credkit-gar reads:
 * the default service account's token and the dockercfg attributes. The request carries
 * `Metadata-Flavor: Google` (the server refuses requests without it: they could be a browser or a
 * redirected fetch), and the answer must carry it too: anything else answering is a proxy or a
 * captive portal, as google-auth-library also insists.
 */
import type * as z from 'zod/mini';
import {
  CredkitError,
  type Env,
  type ExchangeContext,
  exchange,
  NetworkFault,
  type Refusal,
} from '../../core/index.ts';
import { googleErrorReason, googleRefusal } from './refusal.ts';

export const METADATA_HOST = 'metadata.google.internal';
export const METADATA_PATH = '/computeMetadata/v1/';

/**
 * `GCE_METADATA_HOST` (`host:port`, scheme optional) as google-auth-library's gcp-metadata reads it;
 * `GCE_METADATA_IP` is its older spelling.
 */
export function metadataBaseUrl(env: Env): string {
  const override = env.GCE_METADATA_HOST || env.GCE_METADATA_IP;
  if (!override) return `http://${METADATA_HOST}`;
  return /^https?:\/\//.test(override) ? override.replace(/\/+$/, '') : `http://${override}`;
}

export interface MetadataGet<T> {
  /** Under /computeMetadata/v1/, e.g. `instance/attributes/google-dockercfg`. */
  path: string;
  schema: z.ZodMiniType<T>;
  /** Default JSON; attributes are plain text. */
  parse?: (text: string) => unknown;
  maxBytes?: number;
  /** The error for a 404: what is missing on this instance and how to add it. */
  notFound: () => CredkitError;
  /** What needs the metadata server, for a node that cannot reach it (default: the node identity). */
  needs?: string;
}

export async function metadataGet<T>(ctx: ExchangeContext & { env: Env }, get: MetadataGet<T>): Promise<T> {
  const url = `${metadataBaseUrl(ctx.env)}${METADATA_PATH}${get.path}`;
  const host = new URL(url).host;
  return exchange(ctx, {
    what: 'the metadata server',
    url,
    headers: { 'Metadata-Flavor': 'Google', 'User-Agent': 'credkit-gar' },
    schema: get.schema,
    ...(get.parse ? { parse: get.parse } : {}),
    ...(get.maxBytes ? { maxBytes: get.maxBytes } : {}),
    check: (headers) => {
      if (headers['metadata-flavor'] !== 'Google') {
        throw new CredkitError(
          'unavailable',
          `${host} answered without Metadata-Flavor: Google, so it is not the metadata server: add ${METADATA_HOST} to NO_PROXY`,
        );
      }
    },
    reason: googleErrorReason,
    refused: (refusal: Refusal) =>
      googleRefusal('the metadata server', url, refusal, (status, reason) =>
        status === 404
          ? get.notFound()
          : new CredkitError('unavailable', `the metadata server (${host}) answered ${status} ${reason}`),
      ),
  }).catch((error: unknown) => {
    throw withHint(error, get.needs);
  });
}

/** A transport fault on a node outside Google Cloud deserves the way out, not just the errno. */
function withHint(error: unknown, needs?: string): unknown {
  if (!(error instanceof NetworkFault)) return error;
  const hint = needs
    ? `${needs} needs the GCE metadata server (or GCE_METADATA_HOST)`
    : 'the node identity needs the GCE metadata server (or GCE_METADATA_HOST); off Google Cloud, ' +
      'use workload identity federation (--sts-audience or --credential-config)';
  return new CredkitError(error.kind, `${error.message}: ${hint}`, { cause: error.cause });
}

/**
 * The node leg: the default service account's access token from the GCE metadata server
 * (research/gcp-gar.md §1.2, §5.1). One GET, no SDK: this is the path every pull on a plain GKE node
 * takes, so it stays small. Upstream also fetches the account's email and throws it away; that
 * second call is skipped. `expires_in`, which upstream ignores, drives the cache hint.
 */
import * as z from 'zod/mini';
import { CredkitError, type Env, type ExchangeContext, exchange, NetworkFault } from '../../core/index.ts';
import type { AccessToken } from './exchange.ts';
import { googleErrorReason, googleRefusal } from './refusal.ts';

export const METADATA_HOST = 'metadata.google.internal';
export const TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

const tokenSchema = z.object({
  access_token: z.string().check(z.minLength(1)),
  expires_in: z.optional(z.number().check(z.positive())),
  token_type: z.optional(z.string()),
});

/**
 * `GCE_METADATA_HOST` (`host:port`, scheme optional) as google-auth-library's gcp-metadata reads it;
 * `GCE_METADATA_IP` is its older spelling.
 */
export function metadataBaseUrl(env: Env): string {
  const override = env.GCE_METADATA_HOST || env.GCE_METADATA_IP;
  if (!override) return `http://${METADATA_HOST}`;
  return /^https?:\/\//.test(override) ? override.replace(/\/+$/, '') : `http://${override}`;
}

export async function fetchNodeToken(ctx: ExchangeContext & { env: Env; now(): number }): Promise<AccessToken> {
  const url = `${metadataBaseUrl(ctx.env)}${TOKEN_PATH}`;
  const host = new URL(url).host;
  const answer = await exchange(ctx, {
    what: 'the metadata server',
    url,
    // The server refuses requests without this header: it proves the caller is not a browser or a
    // redirected fetch (SSRF).
    headers: { 'Metadata-Flavor': 'Google', 'User-Agent': 'credkit-gar' },
    schema: tokenSchema,
    check: (headers) => {
      // google-auth-library insists on it too: anything else answering is a proxy or a captive portal.
      if (headers['metadata-flavor'] !== 'Google') {
        throw new CredkitError(
          'unavailable',
          `${host} answered without Metadata-Flavor: Google, so it is not the metadata server: add ${METADATA_HOST} to NO_PROXY`,
        );
      }
    },
    reason: googleErrorReason,
    refused: (refusal) =>
      googleRefusal('the metadata server', url, refusal, (status, reason) =>
        status === 404
          ? new CredkitError(
              'denied',
              'the metadata server has no default service account token (404): attach a service account to the node, ' +
                'or enable workload identity for the pod',
            )
          : new CredkitError('unavailable', `the metadata server (${host}) answered ${status} ${reason}`),
      ),
  }).catch((error: unknown) => {
    throw withHint(error);
  });
  ctx.log.v(2).info('node service account token from the metadata server', { host, expiresIn: answer.expires_in });
  return {
    accessToken: answer.access_token,
    ...(answer.expires_in ? { expiresAt: new Date(ctx.now() + answer.expires_in * 1000) } : {}),
  };
}

/** A transport fault on a node outside Google Cloud deserves the way out, not just the errno. */
function withHint(error: unknown): unknown {
  if (!(error instanceof NetworkFault)) return error;
  return new CredkitError(
    error.kind,
    `${error.message}: the node identity needs the GCE metadata server (or GCE_METADATA_HOST); off Google Cloud, ` +
      'use workload identity federation (--sts-audience or --credential-config)',
    { cause: error.cause },
  );
}

/**
 * The node leg: the default service account's access token from the GCE metadata server
 * (research/gcp-gar.md §1.2, §5.1). One GET, no SDK: this is the path every pull on a plain GKE node
 * takes, so it stays small. Upstream also fetches the account's email and throws it away; that
 * second call is skipped. `expires_in`, which upstream ignores, drives the cache hint.
 */
import * as z from 'zod/mini';
import { CredkitError, type Env, type ExchangeContext } from '../../core/index.ts';
import type { AccessToken } from './exchange.ts';
import { metadataGet } from './metadata.ts';

export const TOKEN_PATH = 'instance/service-accounts/default/token';

const tokenSchema = z.object({
  access_token: z.string().check(z.minLength(1)),
  expires_in: z.optional(z.number().check(z.positive())),
  token_type: z.optional(z.string()),
});

export async function fetchNodeToken(ctx: ExchangeContext & { env: Env; now(): number }): Promise<AccessToken> {
  const answer = await metadataGet(ctx, {
    path: TOKEN_PATH,
    schema: tokenSchema,
    notFound: () =>
      new CredkitError(
        'denied',
        'the metadata server has no default service account token (404): attach a service account to the node, ' +
          'or enable workload identity for the pod',
      ),
  });
  ctx.log.v(2).info('node service account token from the metadata server', { expiresIn: answer.expires_in });
  return {
    accessToken: answer.access_token,
    ...(answer.expires_in ? { expiresAt: new Date(ctx.now() + answer.expires_in * 1000) } : {}),
  };
}

/**
 * The token realm: where the Entra token is exchanged, so where the pod's ACR access goes.
 *
 * Upstream asks every registry (`GET /v2/`) and posts the Entra token to whatever host the
 * challenge's realm names (research/azure-acr.md §1.8), so a look-alike challenge could send it to
 * another registry (issue 11). The realm is pinned instead to the registry the image names: its
 * own host, or for a geo-replica (regional endpoint) its base login server. ACR's challenge names
 * the host asked as the realm and the base login server as the service: a regional endpoint's
 * challenge is `realm="https://<name>.<region>.geo.azurecr.io/oauth2/token",service="<name>.azurecr.io"`
 * (what containerd then asks, as logged in a live AKS run; Azure/acr docs/AAD-OAuth.md shows the
 * same shape for the global endpoint). Both are therefore known for every Azure ACR host, and the
 * `/v2/` round trip is skipped (one fewer request per exec). Only a custom cloud's registry
 * (AzureStackCloud's suffix, whose layout Azure does not document) is still asked, and its realm
 * must be that same host.
 *
 * Upstream's parser (inherited from acr-docker-credential-helper) panics on an unquoted last value
 * or a bare `Bearer` (§3.7); this one follows RFC 7235 auth-params and returns errors.
 */
import * as z from 'zod/mini';
import { CredkitError, type ExchangeContext, exchange, type HttpResponse, quote } from '../../core/index.ts';
import { baseLoginServer } from './registry.ts';

export interface Challenge {
  realm: string;
  service: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/** Parses `a="b", c=d` into a map; throws a plain Error naming the problem (the caller adds context). */
export function parseAuthParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  let rest = text.trim();
  if (rest === '') throw new Error('malformed header value: no parameters');
  while (rest !== '') {
    const key = TOKEN.exec(rest)?.[0];
    if (!key)
      throw new Error(`malformed header value: expected a parameter name at ${JSON.stringify(rest.slice(0, 20))}`);
    rest = rest.slice(key.length).trimStart();
    if (!rest.startsWith('=')) throw new Error(`malformed header value: parameter ${key} has no value`);
    rest = rest.slice(1).trimStart();
    let value: string;
    if (rest.startsWith('"')) {
      const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (!quoted) throw new Error(`malformed header value: unterminated quote in ${key}`);
      value = (quoted[1] ?? '').replace(/\\(.)/g, '$1');
      rest = rest.slice(quoted[0].length);
    } else {
      value = TOKEN.exec(rest)?.[0] ?? '';
      if (value === '') throw new Error(`malformed header value: parameter ${key} has no value`);
      rest = rest.slice(value.length);
    }
    params[key.toLowerCase()] = value;
    rest = rest.trimStart();
    if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
    else if (rest !== '') throw new Error(`malformed header value: expected "," after ${key}`);
  }
  return params;
}

function invalidChallenge(registry: string, why: string): CredkitError {
  return new CredkitError('unavailable', `${registry} did not issue a valid ACR challenge: ${why}`);
}

/** Reads a `/v2/` answer into a challenge; every deviation is an error naming the registry. */
export function readChallenge(registry: string, response: Pick<HttpResponse, 'status' | 'headers'>): Challenge {
  const fail = (why: string) => invalidChallenge(registry, why);
  if (response.status !== 401) throw fail(`GET /v2/ answered ${response.status}, expected 401`);
  const header = response.headers['www-authenticate'];
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  if (values.length === 0) throw fail('no Www-Authenticate header');
  if (values.length > 1) throw fail(`${values.length} Www-Authenticate headers`);
  const value = (values[0] ?? '').trim();
  const space = value.indexOf(' ');
  const scheme = space < 0 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') throw fail(`scheme is ${JSON.stringify(scheme)}, expected Bearer`);
  let params: Record<string, string>;
  try {
    params = parseAuthParams(space < 0 ? '' : value.slice(space + 1));
  } catch (error) {
    throw fail((error as Error).message);
  }
  if (!params.realm) throw fail('missing realm');
  if (!params.service) throw fail('missing service');
  return { realm: pinnedRealm(registry, params.realm), service: params.service };
}

/** The hosts a registry's realm may name: itself and, for a geo-replica, its base login server. */
export function realmHosts(loginServer: string): string[] {
  return [...new Set([loginServer.toLowerCase(), baseLoginServer(loginServer)])];
}

/**
 * The exchange sends an Entra token to the realm's host, so the realm must be this registry over
 * https on its one port (443): any other host, port or scheme is refused, as a cloud refusal.
 */
export function pinnedRealm(registry: string, realm: string): string {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw invalidChallenge(registry, `realm ${quote(realm)} is not a URL`);
  }
  const hosts = realmHosts(registry);
  if (url.protocol !== 'https:' || url.port !== '' || !hosts.includes(url.hostname)) {
    throw new CredkitError(
      'denied',
      `${registry} named the token realm ${quote(url.origin)}, not https://${hosts.join(' or https://')}: refusing to send the token there`,
    );
  }
  return url.href;
}

/** The realm and service ACR names for a host, known without asking (see the header). */
export function knownChallenge(loginServer: string): Challenge {
  const host = loginServer.toLowerCase();
  return { realm: `https://${host}/oauth2/token`, service: baseLoginServer(host) };
}

/** The one header the challenge is read from: once, or (wrongly) several times. */
const challengeHeadersSchema = z.object({
  'www-authenticate': z.optional(z.union([z.string(), z.array(z.string())])),
});

/** `GET /v2/` (custom clouds only), which must answer 401 with the Bearer challenge; any other answer names what came instead. */
export async function fetchChallenge(ctx: ExchangeContext, loginServer: string): Promise<Challenge> {
  const headers = await exchange(ctx, {
    what: 'the ACR challenge',
    url: `https://${loginServer}/v2/`,
    headers: { 'user-agent': 'credkit-acr' },
    expect: [401],
    parse: (_text, headers) => headers,
    schema: challengeHeadersSchema,
    refused: ({ status }) => invalidChallenge(loginServer, `GET /v2/ answered ${status}, expected 401`),
  });
  return readChallenge(loginServer, { status: 401, headers });
}

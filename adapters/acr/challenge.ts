/**
 * The registry's `/v2/` Bearer challenge, which names the token realm. Upstream's parser (inherited
 * from acr-docker-credential-helper) panics on an unquoted last value or a bare `Bearer`
 * (research/azure-acr.md §1.8, §3.7); this one follows RFC 7235 auth-params and returns errors.
 * Only geo-replica hosts need the round trip: for `<name>.azurecr.<tld>` the realm is known.
 */
import * as z from 'zod/mini';
import { CredkitError, type ExchangeContext, exchange, type HttpResponse } from '../../core/index.ts';
import { isAcrHost } from './registry.ts';

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
  return { realm: checkRealm(registry, params.realm, fail), service: params.service };
}

/**
 * The exchange sends an Entra token to the realm's host, so the realm must be an ACR over https:
 * a look-alike registry must not be able to redirect the token elsewhere.
 */
function checkRealm(registry: string, realm: string, fail: (why: string) => Error): string {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw fail(`realm ${JSON.stringify(realm)} is not a URL`);
  }
  if (url.protocol !== 'https:' || !isAcrHost(url.hostname)) {
    throw fail(
      `realm ${url.origin} is not an https ACR endpoint; refusing to send a token there (registry ${registry})`,
    );
  }
  return url.href;
}

/** The realm of an ACR's own host is known; a geo-replica must be asked. */
export function knownChallenge(loginServer: string): Challenge {
  return { realm: `https://${loginServer}/oauth2/token`, service: loginServer };
}

/** The one header the challenge is read from: once, or (wrongly) several times. */
const challengeHeadersSchema = z.object({
  'www-authenticate': z.optional(z.union([z.string(), z.array(z.string())])),
});

/** `GET /v2/`, which must answer 401 with the Bearer challenge; any other answer names what came instead. */
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

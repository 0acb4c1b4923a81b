/**
 * Image references and the kubelet's URL matching. The kubelet uses one function, `URLsMatch`, both
 * to decide whether a provider runs at all (`matchImages`) and to pick which returned `auth` key
 * applies to an image (research/kubelet-protocol.md §2.3, keyring.go):
 *  - the host is split on dots, label counts must be equal, each label is a Go `filepath.Match` glob;
 *  - the ports must be equal, including both absent (`registry.io` does not match `registry.io:5000`);
 *  - the glob's path is a literal string prefix of the target's path (`/*` is not a wildcard).
 */
import { CredkitError } from './errors.ts';
import { quote } from './line.ts';

export interface ImageRef {
  /** Host without port, e.g. `123456789012.dkr.ecr.us-west-2.amazonaws.com`. */
  host: string;
  /** Port as written, or undefined. */
  port?: string;
  /** `host[:port]`: the kubelet's `parseRegistry(image)` and the right key for a Registry answer. */
  registry: string;
  /** Repository path without leading slash, tag or digest, e.g. `team/app`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** `registry/repository`: what the kubelet sends after normalisation. */
  name: string;
}

const DOCKER_HUB = 'docker.io';

/*
 * The grammar a request image must follow, from docker's reference grammar
 * (distribution/reference regexp.go) where it is strict enough, stricter where a host must be
 * canonical: an adapter keys its answer to the host, and a cloud's host rules only hold for hosts
 * written one way. So a host is lower-case ASCII DNS labels (punycode for anything else) or an IP,
 * never a glob (`*`), an escape (`%2e`), whitespace or a homoglyph; a port is 1-65535 in digits.
 * Paths stay as lenient as the kubelet's callers are (upper case is tolerated there).
 */
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:.]+$/;
const PORT = /^[1-9]\d{0,4}$/;
const PATH_COMPONENT = /^[A-Za-z0-9]+(?:[._-]+[A-Za-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]+$/;

/**
 * Parses and validates an image as the kubelet sends it (normalised, no tag) and tolerates a tag or
 * digest, as non-kubelet callers send them. A first component without `.` or `:` that is not
 * `localhost` (and has no upper case) is a Docker Hub path, as in docker's reference grammar.
 * Throws a `request` error naming what is wrong; credentials before an `@` are never repeated.
 */
export function parseImage(image: string): ImageRef {
  if (image === '' || /\s/.test(image)) throw invalidImage(image, 'it is empty or contains whitespace');
  const { rest, digest } = splitDigest(image);

  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : rest;
  const isHost =
    slash >= 0 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let path = isHost ? rest.slice(slash + 1) : rest;
  if (!isHost && !path.includes('/')) path = `library/${path}`;

  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon > path.lastIndexOf('/')) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw invalidImage(image, `its tag ${quote(tag)} is not a valid tag`);
  }
  if (!path.split('/').every((component) => PATH_COMPONENT.test(component))) {
    throw invalidImage(image, `its repository path ${quote(path)} is not a valid repository name`);
  }

  const { host, port } = isHost ? splitRegistry(image, first) : { host: DOCKER_HUB, port: undefined };
  const registry = port === undefined ? host : `${host}:${port}`;
  return {
    host,
    ...(port !== undefined ? { port } : {}),
    registry,
    repository: path,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    name: `${registry}/${path}`,
  };
}

/**
 * `name@digest`. An `@` before the first `/` that is not a digest is userinfo (`user:password@host/x`):
 * refused without repeating what precedes it.
 */
function splitDigest(image: string): { rest: string; digest?: string } {
  const at = image.indexOf('@');
  if (at < 0) return { rest: image };
  const digest = image.slice(at + 1);
  if (DIGEST.test(digest)) return { rest: image.slice(0, at), digest };
  const slash = image.indexOf('/');
  if (slash < 0 || at < slash) {
    throw invalidImage(
      `…${image.slice(image.lastIndexOf('@', slash < 0 ? image.length : slash))}`,
      'it carries userinfo (credentials) before "@": the kubelet never sends them; remove them',
    );
  }
  throw invalidImage(image, `its digest ${quote(digest)} is not algorithm:hex`);
}

/** The registry part (`host[:port]`), validated: a canonical host and a port of 1-65535. */
function splitRegistry(image: string, hostport: string): { host: string; port?: string } {
  let host: string;
  let port: string | undefined;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    host = end > 0 ? hostport.slice(0, end + 1) : hostport;
    const after = end > 0 ? hostport.slice(end + 1) : '';
    if (after !== '' && !after.startsWith(':')) throw invalidImage(image, `its host ${quote(hostport)} is not valid`);
    port = after === '' ? undefined : after.slice(1);
  } else {
    const colon = hostport.indexOf(':');
    host = colon < 0 ? hostport : hostport.slice(0, colon);
    port = colon < 0 ? undefined : hostport.slice(colon + 1);
  }
  if (port !== undefined && !(PORT.test(port) && Number(port) <= 65535)) {
    throw invalidImage(image, `its port ${quote(port)} is not a number from 1 to 65535`);
  }
  const problem = hostProblem(host);
  if (problem) throw invalidImage(image, `its host ${quote(host)} ${problem}`);
  return { host, ...(port !== undefined ? { port } : {}) };
}

/** Why a host is not canonical, or undefined when it is. */
export function hostProblem(host: string): string | undefined {
  if (host.startsWith('[')) {
    const inner = host.slice(1, -1);
    if (!host.endsWith(']') || !IPV6.test(inner) || !canonicalUrlHost(host)) return 'is not a valid IPv6 address';
    return undefined;
  }
  if (/[^\x21-\x7e]/.test(host)) return 'is not ASCII: write an internationalised name in punycode (xn--)';
  if (host !== host.toLowerCase()) return 'is not lower case';
  if (/^[\d.]+$/.test(host)) return IPV4.test(host) ? undefined : 'is not a valid IPv4 address';
  const labels = host.split('.');
  if (host.length > 253 || !labels.every((label) => DNS_LABEL.test(label))) {
    return 'is not a DNS name (letters, digits and inner hyphens between dots, no wildcards or escapes)';
  }
  // A last label of digits only is read as an IPv4 address by URL parsers (`0x7f.1`, `a.123`).
  if (/^\d+$/.test(labels.at(-1) ?? '')) return 'is not a canonical host name';
  return undefined;
}

/**
 * Whether the WHATWG URL parser leaves an IPv6 literal as written (compressed, lower case). Not used
 * for names: runtimes differ on punycode (bun validates it, Node does not), and the label rule above
 * already leaves nothing for the parser to change.
 */
function canonicalUrlHost(host: string): boolean {
  try {
    return new URL(`https://${host}/`).host === host;
  } catch {
    return false;
  }
}

function invalidImage(image: string, why: string): CredkitError {
  return new CredkitError('request', `invalid image reference ${quote(image, 160)}: ${why}`);
}

/** Go's `net.SplitHostPort`, as used by the kubelet's `SplitURL`: no port on any parse failure. */
function splitHostPort(hostport: string): { host: string; port?: string } {
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end > 0 && hostport[end + 1] === ':') return { host: hostport.slice(1, end), port: hostport.slice(end + 2) };
    return { host: hostport };
  }
  const colon = hostport.lastIndexOf(':');
  if (colon < 0 || hostport.indexOf(':') !== colon) return { host: hostport };
  return { host: hostport.slice(0, colon), port: hostport.slice(colon + 1) };
}

/** The parts of a schemeless URL the kubelet compares (`ParseSchemelessURL` + `SplitURL`). */
export interface SchemelessUrl {
  labels: string[];
  port: string;
  path: string;
}

/**
 * Go's `url.Parse("https://" + s)` for the subset that matters: authority up to the first `/`, `?`
 * or `#`; a port must be digits (so `registry.io:*` is an error); a bad `%` escape is an error.
 */
export function parseSchemelessUrl(text: string): SchemelessUrl {
  const end = text.search(/[/?#]/);
  const authority = end < 0 ? text : text.slice(0, end);
  const afterAuthority = end < 0 ? '' : text.slice(end);
  const path = afterAuthority.startsWith('/') ? afterAuthority.replace(/[?#].*$/, '') : '';
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) throw new Error(`invalid URL escape in ${JSON.stringify(text)}`);

  const hostAndPort = authority.includes('@') ? authority.slice(authority.lastIndexOf('@') + 1) : authority;
  const colon = hostAndPort.lastIndexOf(':');
  if (colon >= 0 && !hostAndPort.endsWith(']') && !/^\d*$/.test(hostAndPort.slice(colon + 1))) {
    throw new Error(`invalid port in ${JSON.stringify(text)}`);
  }
  const { host, port } = splitHostPort(decodeURIComponent(hostAndPort));
  return { labels: host.split('.'), port: port ?? '', path: decodeURIComponent(path) };
}

/**
 * The kubelet's `URLsMatchStr(glob, target)`. A malformed glob or URL is "no match", as the
 * kubelet treats the error.
 */
export function urlsMatch(glob: string, target: string): boolean {
  let globUrl: SchemelessUrl;
  let targetUrl: SchemelessUrl;
  try {
    globUrl = parseSchemelessUrl(glob);
    targetUrl = parseSchemelessUrl(target);
  } catch {
    return false;
  }
  if (globUrl.port !== targetUrl.port) return false;
  if (globUrl.labels.length !== targetUrl.labels.length) return false;
  if (!targetUrl.path.startsWith(globUrl.path)) return false;
  try {
    return globUrl.labels.every((label, i) => globMatch(label, targetUrl.labels[i] as string));
  } catch {
    return false;
  }
}

/**
 * Normalises an `auth` key as the kubelet's keyring does on `Add`: a scheme is allowed and dropped,
 * and a `/v1/` or `/v2/` path prefix is the registry itself.
 */
export function normaliseAuthKey(key: string): string {
  const withoutScheme = key.replace(/^https?:\/\//, '');
  const slash = withoutScheme.indexOf('/');
  if (slash < 0) return withoutScheme;
  const host = withoutScheme.slice(0, slash);
  let path = withoutScheme.slice(slash);
  if (path.startsWith('/v1/') || path.startsWith('/v2/')) path = path.slice(3);
  return path === '' || path === '/' ? host : host + path;
}

/** The auth keys the kubelet's keyring would use for an image, most specific first (reverse-sorted). */
export function matchingAuthKeys(keys: Iterable<string>, image: string): string[] {
  return [...keys]
    .filter((key) => urlsMatch(normaliseAuthKey(key), image))
    .sort((a, b) => (normaliseAuthKey(a) < normaliseAuthKey(b) ? 1 : -1));
}

/**
 * Go's `filepath.Match` on one host label (no separators occur in a label). `*` any run, `?` one
 * character, `[...]` classes with ranges and `^` negation, `\` escapes. Throws on a malformed pattern
 * (Go's ErrBadPattern).
 */
export function globMatch(pattern: string, name: string): boolean {
  return globToRegExp(pattern).test(name);
}

const globCache = new Map<string, RegExp>();

function globToRegExp(pattern: string): RegExp {
  const cached = globCache.get(pattern);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= pattern.length) throw new Error('bad pattern');
      source += escapeRegExp(pattern[++i] as string);
    } else if (c === '[') {
      const { regex, next } = parseClass(pattern, i + 1);
      source += regex;
      i = next - 1;
    } else source += escapeRegExp(c);
  }
  const compiled = new RegExp(`^${source}$`, 'u');
  globCache.set(pattern, compiled);
  return compiled;
}

/** A `[...]` class starting after the `[`; returns the regex and the index after `]`. */
function parseClass(pattern: string, start: number): { regex: string; next: number } {
  let i = start;
  let negate = false;
  if (pattern[i] === '^') {
    negate = true;
    i++;
  }
  const ranges: string[] = [];
  const readChar = (): string => {
    let c = pattern[i];
    if (c === undefined || c === '-' || c === ']') throw new Error('bad pattern');
    if (c === '\\') {
      i++;
      c = pattern[i];
      if (c === undefined) throw new Error('bad pattern');
    }
    i++;
    return c;
  };
  do {
    const lo = readChar();
    let hi = lo;
    if (pattern[i] === '-') {
      i++;
      hi = readChar();
      if (hi < lo) throw new Error('bad pattern');
    }
    ranges.push(lo === hi ? escapeClassChar(lo) : `${escapeClassChar(lo)}-${escapeClassChar(hi)}`);
  } while (i < pattern.length && pattern[i] !== ']');
  if (pattern[i] !== ']') throw new Error('bad pattern');
  return { regex: `[${negate ? '^/' : ''}${ranges.join('')}]`, next: i + 1 };
}

function escapeRegExp(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Inside a class `-` is special too. */
function escapeClassChar(c: string): string {
  return c.replace(/[\\^\][-]/g, '\\$&');
}

/**
 * Image references and the kubelet's URL matching. The kubelet uses one function, `URLsMatch`, both
 * to decide whether a provider runs at all (`matchImages`) and to pick which returned `auth` key
 * applies to an image (research/kubelet-protocol.md §2.3, keyring.go):
 *  - the host is split on dots, label counts must be equal, each label is a Go `filepath.Match` glob;
 *  - the ports must be equal, including both absent (`registry.io` does not match `registry.io:5000`);
 *  - the glob's path is a literal string prefix of the target's path (`/*` is not a wildcard).
 */

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

/**
 * Parses an image as the kubelet sends it (normalised, no tag) and tolerates a tag or digest, as
 * non-kubelet callers send them. A first component without `.` or `:` that is not `localhost` is a
 * Docker Hub path, as in docker's reference grammar.
 */
export function parseImage(image: string): ImageRef {
  const trimmed = image.trim();
  if (trimmed === '' || /\s/.test(trimmed)) throw new Error(`invalid image reference ${JSON.stringify(image)}`);

  let rest = trimmed;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }

  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : rest;
  const isHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = isHost ? first : DOCKER_HUB;
  let path = isHost ? rest.slice(slash + 1) : rest;
  if (!isHost && !path.includes('/')) path = `library/${path}`;

  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon > path.lastIndexOf('/')) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  if (path === '' || registry === '') throw new Error(`invalid image reference ${JSON.stringify(image)}`);

  const { host, port } = splitHostPort(registry);
  registry = port === undefined ? host : `${host}:${port}`;
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

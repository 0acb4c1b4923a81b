/**
 * The hostile corpus: malformed and hostile requests generated from one adapter's working service
 * account request, each differing from it in one way: framing, encodings, duplicate and prototype
 * keys, token shapes and claims, hostile images, hostile annotations. Each case says which exit
 * codes may answer it and whether it may reach the network; refusals decided from the request alone
 * must not (issue 11).
 */
import { ERROR_KINDS } from '../../core/errors.ts';
import type { ScenarioRun } from '../../core/testing/index.ts';

export type Group = 'framing' | 'image' | 'token' | 'annotations';

export interface HostileCase {
  group: Group;
  name: string;
  stdin: string | Buffer;
  /** Exit codes that may answer it (undefined: any, as long as the answer is well-formed). */
  exit?: number[];
  /** Whether the exec may call anything (fakes, proxy): false for a refusal from the request alone. */
  network: boolean;
  /** What the one error line must say. */
  line?: RegExp;
  /** Secrets this case carries, beyond the scenario's own. */
  secrets?: string[];
  /** The exec must answer as the unmodified request does: exit 0 with a valid credential. */
  served?: boolean;
}

const API_VERSION = 'credentialprovider.kubelet.k8s.io/v1';
const REQUEST = [ERROR_KINDS.request];
const TOKEN = [ERROR_KINDS.token];
const BIG = 900_000;

/** The request a kubelet would send for `run`. */
export function requestOf(run: ScenarioRun, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'CredentialProviderRequest',
    apiVersion: API_VERSION,
    image: run.run.image,
    ...(run.run.serviceAccountToken ? { serviceAccountToken: run.run.serviceAccountToken } : {}),
    ...(run.run.serviceAccountAnnotations ? { serviceAccountAnnotations: run.run.serviceAccountAnnotations } : {}),
    ...overrides,
  };
}

export function corpus(base: ScenarioRun): HostileCase[] {
  return [...framing(base), ...images(base), ...tokens(base), ...annotations(base)];
}

function framing(base: ScenarioRun): HostileCase[] {
  const json = JSON.stringify(requestOf(base));
  const refused = (name: string, stdin: string | Buffer, line?: RegExp): HostileCase => ({
    group: 'framing',
    name,
    stdin,
    exit: REQUEST,
    network: false,
    line: line ?? /CredentialProviderRequest|stdin|image/,
  });
  const image = String(requestOf(base).image);
  const withoutImage = { ...requestOf(base) };
  delete withoutImage.image;
  return [
    refused('empty stdin', ''),
    refused('whitespace only', ' \n\t'),
    refused('truncated JSON', json.slice(0, Math.floor(json.length / 2))),
    refused('a JSON array', '[]'),
    refused('JSON null', 'null'),
    refused('a JSON string', '"CredentialProviderRequest"'),
    refused('two documents', json + json),
    refused('trailing garbage', `${json}x`),
    refused('UTF-16', Buffer.from(json, 'utf16le')),
    refused('a byte order mark', `\ufeff${json}`),
    refused('a NUL byte between fields', json.replace(',', ',\u0000')),
    refused('nested 200k deep', '['.repeat(200_000)),
    refused('2 MiB of padding', json.replace('{', `{"padding":"${'x'.repeat(2 << 20)}",`)),
    refused('wrong kind', JSON.stringify(requestOf(base, { kind: 'CredentialProviderResponse' }))),
    refused('kind in lower case', JSON.stringify(requestOf(base, { kind: 'credentialproviderrequest' }))),
    refused(
      'unknown apiVersion',
      JSON.stringify(requestOf(base, { apiVersion: 'credentialprovider.kubelet.k8s.io/v2' })),
    ),
    refused('apiVersion a number', JSON.stringify(requestOf(base, { apiVersion: 1 }))),
    refused('no image', JSON.stringify(withoutImage)),
    refused('image a number', JSON.stringify(requestOf(base, { image: 5 }))),
    refused('image empty', JSON.stringify(requestOf(base, { image: '' }))),
    refused('image an object', JSON.stringify(requestOf(base, { image: { toString: image } }))),
    refused('token a number', JSON.stringify(requestOf(base, { serviceAccountToken: 5 }))),
    refused('annotations an array', JSON.stringify(requestOf(base, { serviceAccountAnnotations: ['a'] }))),
    refused('annotations null', JSON.stringify(requestOf(base, { serviceAccountAnnotations: null }))),
    refused('an annotation value a number', JSON.stringify(requestOf(base, { serviceAccountAnnotations: { a: 5 } }))),
    // JSON.parse keeps the last of duplicate keys: the hostile one must still be caught.
    refused('duplicate image keys, the last hostile', json.replace(/}$/, ',"image":"*.evil.test/x"}')),
    refused('duplicate kind keys, the last wrong', json.replace(/}$/, ',"kind":"Other"}')),
    refused(
      '__proto__ keys and a hostile image',
      `{"__proto__":{"image":${JSON.stringify(image)}},${JSON.stringify(requestOf(base, { image: 'a b' })).slice(1)}`,
    ),
  ];
}

/** Hostile variants of the adapter's own image host, so a lenient host rule would serve them. */
function images(base: ScenarioRun): HostileCase[] {
  const image = String(requestOf(base).image);
  const slash = image.indexOf('/');
  const host = image.slice(0, slash);
  const path = image.slice(slash + 1).replace(/:[^/]*$/, '');
  const [first, ...rest] = host.split('.');
  const homoglyph = host.replace(/[aeo]/, (c) => ({ a: '\u0430', e: '\u0435', o: '\u043e' })[c] ?? c);
  const refused = (name: string, hostile: string, line = /invalid image reference/): HostileCase => ({
    group: 'image',
    name,
    stdin: JSON.stringify(requestOf(base, { image: hostile })),
    exit: REQUEST,
    network: false,
    line,
  });
  const [beforeFF = '', afterFF = ''] = JSON.stringify(requestOf(base, { image: `${host}FFMARK/${path}` })).split(
    'FFMARK',
  );
  return [
    refused('port not digits', `${host}:abc/${path}`, /port "abc" is not a number from 1 to 65535/),
    refused('negative port', `${host}:-1/${path}`, /port "-1"/),
    refused('port 0', `${host}:0/${path}`, /port "0"/),
    refused('port 65536', `${host}:65536/${path}`, /port "65536"/),
    refused('empty port', `${host}:/${path}`, /port ""/),
    refused('two ports', `${host}:1:2/${path}`, /port "1:2"/),
    refused('wildcard label', `*.${rest.join('.')}/${path}`, /is not a DNS name/),
    // With one dot left (`quay%2eio`) it is no host at all: a Docker Hub path, and an invalid one.
    refused('an escaped dot', `${first}%2e${rest.join('.')}/${path}`, /is not a DNS name|repository path/),
    refused('upper case', `${host.toUpperCase()}/${path}`, /is not lower case/),
    refused('a homoglyph', `${homoglyph}/${path}`, /is not ASCII/),
    {
      ...refused('a 0xFF byte in the host', ''),
      stdin: Buffer.concat([Buffer.from(beforeFF), Buffer.from([0xff]), Buffer.from(afterFF)]),
      line: /is not ASCII/,
    },
    refused('an underscore label', `${first}_x.${rest.join('.')}/${path}`, /is not a DNS name/),
    refused('a trailing dot', `${host}./${path}`, /is not a DNS name/),
    refused('an empty label', `${first}..${rest.join('.')}/${path}`, /is not a DNS name/),
    refused('a space', `${host}/ ${path}`, /whitespace/),
    refused('a trailing newline', `${host}/${path}\n`, /whitespace/),
    refused('userinfo', `user:hunter2-pass@${host}/${path}`, /carries userinfo/),
    refused('terminal escapes in the path', `${host}/${path}\u001b]0;owned\u0007\u001b[2J`, /repository path/),
    refused('a C1 control in the host', `${host}\u009b/${path}`, /is not ASCII/),
    refused('a NUL in the host', `${host}\u0000/${path}`, /is not a DNS name|is not ASCII/),
    refused('a bidi override in the path', `${host}/${path}\u202e`, /repository path/),
    refused('an IPv6 zone', `[fe80::1%25eth0]/${path}`, /is not a valid IPv6 address/),
    refused('900 KB of path', `${host}/${'a'.repeat(BIG)}!`, /\(900\d{3} bytes\)/),
  ].map((testCase) => ({ ...testCase, secrets: ['hunter2-pass'] }));
}

/** Tokens that must be refused before any exchange: bad shapes, bad claims, expired, misaddressed. */
function tokens(base: ScenarioRun): HostileCase[] {
  const token = base.run.serviceAccountToken ?? '';
  const [header = '', payload = ''] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const forged = (changes: Record<string, unknown>) => {
    const body = Buffer.from(JSON.stringify({ ...claims, ...changes })).toString('base64url');
    return `${header}.${body}.c2lnbmF0dXJlLW5vdC12YWxpZC1mb3ItdGhpcw`;
  };
  const now = Math.floor(Date.now() / 1000);
  const refused = (name: string, hostile: string, line: RegExp): HostileCase => ({
    group: 'token',
    name,
    stdin: JSON.stringify(requestOf(base, { serviceAccountToken: hostile })),
    exit: TOKEN,
    network: false,
    line,
    secrets: [hostile, hostile.split('.')[2] ?? ''],
  });
  return [
    refused('not a JWT', 'not-a-jwt-at-all', /is not a JWT/),
    refused('two segments', `${header}.${payload}`, /is not a JWT/),
    refused(
      'a payload that is not JSON',
      `${header}.${Buffer.from('{nope').toString('base64url')}.c2ln`,
      /is not a JWT/,
    ),
    refused('a payload that is an array', `${header}.${Buffer.from('[1]').toString('base64url')}.c2ln`, /is not a JWT/),
    refused('aud a number', forged({ aud: 5 }), /aud claim is a number/),
    refused('aud a list of objects', forged({ aud: [{}] }), /aud claim is a list/),
    refused('exp the string NaN', forged({ exp: 'NaN' }), /exp claim is a string \("NaN"\)/),
    refused('sub a number', forged({ sub: 5 }), /sub claim is a number/),
    refused('no sub', forged({ sub: undefined }), /has no subject claim/),
    refused('kubernetes.io a string', forged({ 'kubernetes.io': 'x' }), /kubernetes\.io claim is a string/),
    refused('expired an hour ago', forged({ exp: now - 3600 }), /expired \d+s ago/),
    refused('not valid for an hour', forged({ nbf: now + 3600 }), /is not valid yet/),
    refused(
      'another audience',
      forged({ aud: ['someone-else.example'] }),
      /token audience is \["someone-else\.example"\]/,
    ),
    refused('a node, not a service account', forged({ sub: 'system:node:ip-10-0-0-1' }), /is not a service account/),
    refused(
      'a 100 KB subject',
      forged({ sub: `system:serviceaccount:team:${'a'.repeat(100_000)}` }),
      /\(100027 bytes\) is not a service account/,
    ),
    refused(
      'terminal escapes in the subject',
      forged({ sub: 'system:serviceaccount:team:\u001b[2J\u001b]0;x\u0007' }),
      /is not a service account/,
    ),
    refused('a 700 KB expired token', forged({ exp: now - 3600, pad: 'x'.repeat(700_000) }), /expired/),
  ];
}

/**
 * Annotations: values far over any limit, control characters, keys no Kubernetes object can carry.
 * What the adapter does with a bad value is its own rule (refuse it, or ignore it and use the node);
 * every answer must still be bounded, escaped and secret-free. Prototype keys change nothing.
 */
function annotations(base: ScenarioRun): HostileCase[] {
  const sent = base.run.serviceAccountAnnotations ?? {};
  const [key = 'example.com/role'] = Object.keys(sent);
  const perturbed = (name: string, changes: Record<string, string>): HostileCase => ({
    group: 'annotations',
    name,
    stdin: JSON.stringify(requestOf(base, { serviceAccountAnnotations: { ...sent, ...changes } })),
    network: true,
  });
  const annotationsJson = JSON.stringify(sent).slice(1, -1);
  const prototypeKeys = `{"__proto__":{"${key}":"polluted"},"constructor":"c","toString":"t"${annotationsJson ? `,${annotationsJson}` : ''}}`;
  return [
    perturbed('a 900 KB value of its first annotation', { [key]: 'a'.repeat(BIG) }),
    perturbed('a 900 KB key', { ['a'.repeat(BIG)]: 'x' }),
    perturbed('terminal escapes in its first annotation', { [key]: `${sent[key] ?? ''}\u001b[2J\u001b]0;owned\u0007` }),
    perturbed('a line separator in its first annotation', { [key]: `x\u2028E0101 00:00:00.000000 1 forged] line` }),
    perturbed('a newline in its first annotation', { [key]: 'x\nE0101 00:00:00.000000 1 forged] line' }),
    {
      group: 'annotations',
      name: '__proto__, constructor and toString keys change nothing',
      stdin: JSON.stringify(requestOf(base)).replace(
        /"serviceAccountAnnotations":\{[^}]*\}/,
        `"serviceAccountAnnotations":${prototypeKeys}`,
      ),
      network: true,
      exit: [0],
      served: true,
    },
  ];
}

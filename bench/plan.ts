/**
 * The network floor's script (bench/network-floor.ts): the requests one real exec made, read back
 * from the fakes that served them, in the order they arrived, with the exec's own service account
 * token and annotation values replaced by placeholders the floor fills from its own request. Signed
 * requests (SigV4) are replayed as they were: the fakes accept them for 15 minutes, and the floor
 * measures round trips, not signing.
 */
import type { FakeRequest, FakeServer } from '../core/testing/index.ts';

export interface FloorStep {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

/** What the recorded exec was given, to be turned back into placeholders. */
export interface RecordedSecrets {
  token?: string;
  annotations?: Record<string, string>;
}

/** Set by the runtime's fetch from the URL and body, or hop-by-hop: never replayed. */
const DROPPED_HEADERS = new Set([
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-connection',
  'proxy-authorization',
]);
/** Shorter values ("true") are the same for every identity and too likely to occur by chance. */
const MIN_TEMPLATED_LENGTH = 8;

/** Marks where each server's request log stands, so `requestsSince` returns one exec's requests. */
export function markRequests(servers: FakeServer[]): number[] {
  return servers.map((server) => server.requests.length);
}

/** The requests the servers received since `marks`, in arrival order, each with its scheme. */
export function requestsSince(
  servers: FakeServer[],
  marks: number[],
): Array<{ request: FakeRequest; secure: boolean }> {
  return servers
    .flatMap((server, i) =>
      server.requests.slice(marks[i] ?? 0).map((request) => ({ request, secure: server.url.startsWith('https:') })),
    )
    .sort((a, b) => (a.request.receivedAt ?? 0) - (b.request.receivedAt ?? 0));
}

export function floorPlan(
  recorded: Array<{ request: FakeRequest; secure: boolean }>,
  secrets: RecordedSecrets,
): FloorStep[] {
  const template = templater(secrets);
  return recorded.map(({ request, secure }) => {
    const host = String(request.headers.host ?? request.url.host);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || DROPPED_HEADERS.has(name.toLowerCase())) continue;
      headers[name] = template(Array.isArray(value) ? value.join(', ') : value);
    }
    return {
      method: request.method,
      url: template(`${secure ? 'https' : 'http'}://${host}${request.url.pathname}${request.url.search}`),
      headers,
      body:
        request.body === '' && (request.method === 'GET' || request.method === 'HEAD') ? null : template(request.body),
    };
  });
}

/** Token first (it is the longest), then annotation values, URL-encoded forms before raw ones. */
function templater(secrets: RecordedSecrets): (text: string) => string {
  const pairs: Array<[string, string]> = [];
  if (secrets.token) pairs.push([secrets.token, '{{token}}']);
  const annotations = Object.entries(secrets.annotations ?? {})
    .filter(([, value]) => value.length >= MIN_TEMPLATED_LENGTH)
    .sort(([, a], [, b]) => b.length - a.length);
  for (const [key, value] of annotations) {
    const encoded = encodeURIComponent(value);
    if (encoded !== value) pairs.push([encoded, `{{ann-uri:${key}}}`]);
    pairs.push([value, `{{ann:${key}}}`]);
  }
  return (text) => pairs.reduce((out, [value, placeholder]) => out.split(value).join(placeholder), text);
}

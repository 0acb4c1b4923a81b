/**
 * The dockercfg flows (`--authFlow=dockercfg`, `dockercfg-url`): registry credentials an
 * administrator put on the instance, as upstream reads them (pkg/gcpcredential/gcpcredential.go,
 * research/gcp-gar.md §1.2):
 *  - `dockercfg`: the instance attribute `google-dockercfg` holds the dockercfg itself;
 *  - `dockercfg-url`: the instance attribute `google-dockercfg-url` holds an http(s) URL, fetched
 *    without the metadata header (as upstream: it is not the metadata server), through the proxy the
 *    environment names, and its body is the dockercfg.
 * The URL often is a signed Cloud Storage URL, whose query is a bearer credential: messages name
 * only its scheme, host and path, and the query and any userinfo are registered as secrets.
 */
import * as z from 'zod/mini';
import {
  CredkitError,
  type Env,
  type ExchangeContext,
  exchange,
  type Logger,
  quote,
  type Refusal,
  refusedBy,
} from '../../core/index.ts';
import { type DockerConfigEntry, parseDockerConfig } from './dockercfg.ts';
import { metadataGet } from './metadata.ts';

export const DOCKERCFG_ATTRIBUTE = 'google-dockercfg';
export const DOCKERCFG_URL_ATTRIBUTE = 'google-dockercfg-url';
export type DockerConfigFlow = 'dockercfg' | 'dockercfg-url';

/** GCE caps one metadata value at 256 KiB. */
const MAX_ATTRIBUTE_BYTES = 256 * 1024;
/** Upstream reads up to 10 MiB; a dockercfg for a thousand registries is a few hundred KiB. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

type FlowContext = ExchangeContext & { env: Env; log: Logger };

/** The node's dockercfg entries for the flow; throws a one-line error naming what to fix. */
export async function readNodeDockerConfig(ctx: FlowContext, flow: DockerConfigFlow): Promise<DockerConfigEntry[]> {
  if (flow === 'dockercfg') {
    const body = await readAttribute(ctx, DOCKERCFG_ATTRIBUTE, flow);
    return parseDockerConfig(body, `metadata attribute ${DOCKERCFG_ATTRIBUTE}`);
  }
  const target = documentUrl(await readAttribute(ctx, DOCKERCFG_URL_ATTRIBUTE, flow), ctx.log);
  const body = await fetchDocument(ctx, target);
  return parseDockerConfig(body, `the document ${target.shown} (from ${DOCKERCFG_URL_ATTRIBUTE})`);
}

function readAttribute(ctx: FlowContext, name: string, flow: DockerConfigFlow): Promise<string> {
  return metadataGet(ctx, {
    path: `instance/attributes/${name}`,
    schema: z.string(),
    parse: (text) => text,
    maxBytes: MAX_ATTRIBUTE_BYTES,
    needs: `--authFlow=${flow}`,
    notFound: () =>
      new CredkitError(
        'denied',
        `the metadata server has no instance attribute ${name} (404): set it on the node's instance ` +
          `(gcloud compute instances add-metadata NODE --metadata-from-file=${name}=FILE), or drop --authFlow=${flow}`,
      ),
  });
}

interface DocumentUrl {
  url: string;
  /** scheme://host/path: what messages may print. */
  shown: string;
  headers: Record<string, string>;
}

/**
 * The attribute's URL. Upstream takes any value starting with `http` and does not trim it (a trailing
 * newline from --metadata-from-file then fails); surrounding whitespace is trimmed here. Userinfo
 * becomes Basic authentication, as Go's client sends it.
 */
function documentUrl(value: string, log: Logger): DocumentUrl {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new CredkitError(
      'usage',
      `metadata attribute ${DOCKERCFG_URL_ATTRIBUTE} is not a URL: set it to an https URL`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CredkitError(
      'usage',
      `metadata attribute ${DOCKERCFG_URL_ATTRIBUTE} is a ${quote(url.protocol.slice(0, -1))} URL: only http and https are read, as upstream`,
    );
  }
  log.redactor.add(url.search.slice(1), url.password, url.username);
  const headers: Record<string, string> = { 'User-Agent': 'credkit-gar' };
  if (url.username || url.password) {
    const login = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.Authorization = `Basic ${Buffer.from(login).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  if (url.protocol === 'http:') {
    log.warn(
      `${DOCKERCFG_URL_ATTRIBUTE} is plain http: the registry passwords cross the network unencrypted; use https`,
    );
  }
  return { url: url.href, shown, headers };
}

function fetchDocument(ctx: FlowContext, target: DocumentUrl): Promise<string> {
  return exchange(ctx, {
    what: `the ${DOCKERCFG_URL_ATTRIBUTE} document`,
    url: target.url,
    headers: target.headers,
    schema: z.string(),
    parse: (text) => text,
    maxBytes: MAX_DOCUMENT_BYTES,
    reason: storageReason,
    refused: (refusal: Refusal) =>
      refusedBy(`the ${DOCKERCFG_URL_ATTRIBUTE} document`, target.url, refusal, fixFor(refusal)),
  });
}

function fixFor(refusal: Refusal): string {
  if (refusal.status >= 300 && refusal.status < 400) {
    return `redirects are not followed: put the final URL in ${DOCKERCFG_URL_ATTRIBUTE}`;
  }
  if (refusal.status === 403 || refusal.status === 400) {
    return `a signed URL may have expired: sign a new one and update ${DOCKERCFG_URL_ATTRIBUTE}`;
  }
  return `check the URL in ${DOCKERCFG_URL_ATTRIBUTE}`;
}

/** Cloud Storage's XML error (`<Code>ExpiredToken</Code><Message>…`), or the body's first line. */
function storageReason(text: string): string | undefined {
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  if (code) return message ? `${code}: ${message}` : code;
  return text.split('\n')[0]?.trim() || undefined;
}

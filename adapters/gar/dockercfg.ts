/**
 * The legacy `.dockercfg` document the dockercfg flows read: a map from registry key to
 * `{username, password, email, auth}`, where a non-empty `auth` (base64 of `user:password`) overrides
 * username and password (upstream pkg/credentialconfig/config.go, research/gcp-gar.md §3.4). The
 * `config.json` form (`{"auths": {...}}`) is read too: upstream would take `auths` for a registry
 * key with empty credentials, which no registry accepts.
 *
 * Nothing from the document's values is ever repeated in a message: only registry keys and field
 * names, so a malformed entry is named without printing its password.
 */
import * as z from 'zod/mini';
import { CredkitError, quote } from '../../core/index.ts';

/** One entry, as the kubelet gets it: the key verbatim (the kubelet normalises it) and the login. */
export interface DockerConfigEntry {
  key: string;
  username: string;
  password: string;
}

// Go's json.Unmarshal: unknown fields ignored, null leaves a field empty, any other type is an error.
const text = z.optional(z.nullable(z.string()));
const entrySchema = z.object({ username: text, password: text, email: text, auth: text });

/** Parses a document; `source` names it in errors ("metadata attribute google-dockercfg"). */
export function parseDockerConfig(body: string, source: string): DockerConfigEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // JSON.parse's own message quotes the text around the fault, which may be a password.
    throw malformed(source, 'it is not JSON');
  }
  const auths = isObject(json) && isObject(json.auths) ? json.auths : json;
  if (!isObject(auths)) throw malformed(source, 'it is not a JSON object of registry keys');
  return Object.entries(auths).map(([key, value]) => entryOf(key, value, source));
}

function entryOf(key: string, value: unknown, source: string): DockerConfigEntry {
  const parsed = entrySchema.safeParse(value);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.');
    throw malformed(source, `entry ${quote(key)} ${field ? `field ${field} is not a string` : 'is not an object'}`);
  }
  const { username, password, auth } = parsed.data;
  if (!auth) return { key, username: username ?? '', password: password ?? '' };
  const login = decodeAuthField(auth);
  if (!login) {
    throw malformed(source, `entry ${quote(key)} has an auth field that is not base64(username:password)`);
  }
  return { key, ...login };
}

const PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UNPADDED = /^[A-Za-z0-9+/]*$/;

/**
 * Upstream's decodeDockerConfigFieldAuth: padded standard base64 when the trimmed field ends in `=`,
 * unpadded otherwise; Go's decoder skips `\r` and `\n` but nothing else (a trailing space fails);
 * split on the first `:`. Buffer's decoder accepts anything, hence the shape checks first.
 */
export function decodeAuthField(field: string): { username: string; password: string } | undefined {
  const data = field.replace(/[\r\n]/g, '');
  const padded = field.trim().endsWith('=');
  const shaped = padded ? PADDED.test(data) : UNPADDED.test(data) && data.length % 4 !== 1;
  if (!shaped) return undefined;
  const decoded = Buffer.from(data, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(source: string, why: string): CredkitError {
  return new CredkitError('usage', `${source} is not a valid dockercfg: ${why}`);
}

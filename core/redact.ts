/**
 * Redaction. Everything a provider prints passes through a Redactor, so a secret can only reach
 * stderr if it is neither registered nor shaped like one. Two layers:
 *  - exact values registered at run time (the pod's token, every password and client secret the
 *    provider handles), replaced wherever they appear, even inside SDK error messages;
 *  - shapes that are secret whatever their value: JWTs (a JWT signature alone is a bearer proof),
 *    Authorization / X-Amz-Security-Token headers, query-string signatures, password fields,
 *    userinfo in URLs.
 */

const MASK = '[REDACTED]';

// Three base64url segments, the first a JOSE header (`eyJ` = base64 of `{"`).
const JWT = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
// `Authorization: Bearer x`, `authorization=Basic x`, JSON `"authorization":"x"`.
const AUTH_HEADER =
  /(authorization["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|aws4-hmac-sha256)\s+)?[^"'\s,;}]+(?:[^"'\n}]*)/gi;
// Headers, query parameters and JSON/form fields that carry credentials.
// Only in key/value syntax (`key=value`, `"key": "value"`), so prose such as "serviceAccountToken:
// expected a string" stays readable; values in prose are caught by the registered-secret layer.
const SECRET_FIELD =
  /((?:x-amz-security-token|x-amz-signature|signature|password|client_secret|client_assertion|subject_token|refresh_token|access_token|secretaccesskey|sessiontoken|aadclientsecret|token)(?:\s*=\s*|["']\s*:\s*["']?))[^"'&\s,;}<]+/gi;
// Userinfo in a URL (`https://user:password@proxy:3128`): proxy settings and SDK messages repeat it.
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"']+@/gi;
// STS/XML credential elements.
const XML_SECRET = /(<(SecretAccessKey|SessionToken)>)[^<]*(<\/\2>)/g;

/** Values shorter than this are not registered: masking "a" everywhere would garble messages. */
const MIN_SECRET_LENGTH = 6;

export class Redactor {
  readonly #secrets = new Set<string>();

  /** Registers exact secret values; returns the first for convenient inline use. */
  add(...values: Array<string | undefined | null>): void {
    for (const value of values) {
      if (value && value.length >= MIN_SECRET_LENGTH) this.#secrets.add(value);
    }
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is masked whole.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join(MASK);
    }
    return out
      .replace(JWT, MASK)
      .replace(URL_USERINFO, `$1${MASK}@`)
      .replace(XML_SECRET, `$1${MASK}$3`)
      .replace(AUTH_HEADER, `$1${MASK}`)
      .replace(SECRET_FIELD, `$1${MASK}`);
  }
}

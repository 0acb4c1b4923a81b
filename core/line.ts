/**
 * The error-line budget. The kubelet appends a plugin's stderr to its own log line, and whatever
 * a request carries (an image, an annotation, a token's claims) can end up in a message; so every
 * line credkit writes is one line of printable text of at most about 1 KiB, whatever went in:
 *  - `quote(value)`: how an input value goes into a message: quoted, control characters escaped,
 *    cut with its length shown (`"aaaa…" (900179 bytes)`);
 *  - `escapeControl(text)`: terminal control bytes (ESC sequences), other C0/C1 controls, DEL, line
 *    and paragraph separators and bidi/format characters become visible escapes;
 *  - `cut(text, bytes)`: a UTF-8 byte budget, cut on a character boundary.
 * The logger applies the last two to every line, so no path can exceed the budget.
 */

/** The most one log line may take, in UTF-8 bytes (the "about 1 KiB"). */
export const LINE_BUDGET = 1024;
/** The most of one input value that goes into a message. */
export const VALUE_BUDGET = 64;

const ELLIPSIS = '…';

// Cc (C0, DEL, C1), Cf (bidi overrides, zero-width, BOM), Zl/Zp (U+2028, U+2029), lone surrogates.
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Makes every control and format character visible: `\x1b`, `\n`, `\u2028`. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** UTF-8 length, without allocating a buffer for short strings. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The longest prefix of `text` within `bytes` UTF-8 bytes, cut on a code point (never half a
 * surrogate pair), or `text` itself when it fits.
 */
export function cut(text: string, bytes: number): string {
  if (text.length * 3 <= bytes || byteLength(text) <= bytes) return text;
  let used = 0;
  let end = 0;
  for (const c of text) {
    const size = byteLength(c);
    if (used + size > bytes) break;
    used += size;
    end += c.length;
  }
  return text.slice(0, end);
}

/**
 * An input value as it goes into a message: quoted, escaped, and cut to `budget` bytes with the
 * whole value's length shown, so a 900 KB annotation reads `"aaaa…" (900179 bytes)`.
 */
export function quote(value: unknown, budget: number = VALUE_BUDGET): string {
  const text = typeof value === 'string' ? value : String(JSON.stringify(value));
  // As Go's %q: backslashes and quotes escaped first, so an escape in the output is never ambiguous.
  const escaped = escapeControl(text.replace(/["\\]/g, '\\$&'));
  const shown = cut(escaped, budget);
  if (shown === escaped) return `"${shown}"`;
  return `"${withoutPartialEscape(shown)}${ELLIPSIS}" (${byteLength(text)} bytes)`;
}

/** A cut can land inside an escape (`\x1`, a lone `\`); drop that tail so what is shown stays exact. */
function withoutPartialEscape(text: string): string {
  const tail = /(\\+)(?:x[0-9a-f]?|u[0-9a-f]{0,3})?$/.exec(text);
  // An even run of backslashes is escaped backslashes: whatever follows is plain text.
  if (!tail || tail[1]!.length % 2 === 0) return text;
  return text.slice(0, tail.index + tail[1]!.length - 1);
}

/** Text cut to `bytes` with a marker saying how long it was: for the logger's last-resort budget. */
export function cutWithLength(text: string, bytes: number): string {
  const length = byteLength(text);
  if (length <= bytes) return text;
  const marker = `${ELLIPSIS} (${length} bytes)`;
  return cut(text, Math.max(0, bytes - byteLength(marker))) + marker;
}

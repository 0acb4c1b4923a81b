/**
 * The machine-read part of docs/compatibility.md: its table rows, and the small language of their
 * `example` cells (documented in the page's "How to read" section). A case is words: what the
 * kubelet config and the request carry, then `->` and what must be seen.
 */

export const HEADER = '| binary | kind | name | example | exit | status | notes |';
export const KINDS = ['flag', 'env', 'annotation', 'config', 'kubelet'] as const;
export const STATUSES = ['same', 'superset', 'different', 'credkit'] as const;

export interface Row {
  binary: string;
  kind: string;
  name: string;
  /** The backticked cases of the `example` cell, as written. */
  examples: string[];
  exit: string;
  status: string;
  notes: string;
}

/** Every row of every table with the compatibility header, cells trimmed. */
export function compatibilityRows(markdown: string): Row[] {
  const rows: Row[] = [];
  let inTable = false;
  for (const line of markdown.split('\n')) {
    if (line.trim() === HEADER) {
      inTable = true;
      continue;
    }
    if (!inTable || /^\|[-| ]+\|$/.test(line.trim())) continue;
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const [binary = '', kind = '', name = '', example = '', exit = '', status = '', notes = ''] = line
      .slice(1, -1)
      .split(' | ')
      .map((cell) => cell.trim());
    rows.push({
      binary,
      kind,
      name,
      examples: [...example.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string),
      exit,
      status,
      notes,
    });
  }
  return rows;
}

/** The kubelet config keys the runner honours (KubeletRun's names). */
export const KUBELET_KEYS = ['apiVersion', 'cacheType', 'matchImages', 'defaultCacheDuration'] as const;
export type KubeletKey = (typeof KUBELET_KEYS)[number];

export interface Fault {
  endpoint: string;
  status: number;
  times: number;
}

export type Expectation =
  | { kind: 'called'; target: string; count?: number; negated: boolean }
  | { kind: 'sent'; text: string; negated: boolean }
  | { kind: 'auth'; key: string }
  | { kind: 'user'; username: string }
  | { kind: 'cacheKeyType' | 'cacheDuration'; value: string; negated: boolean }
  | { kind: 'stderr'; text: string; negated: boolean };

export interface Case {
  /** Words after the upstream base arguments (flags, positionals). */
  args: string[];
  /** The provider's `env` entries in the kubelet config. */
  env: Record<string, string>;
  annotations: Record<string, string>;
  /** The audience of the pod token the request carries; set by `token:` or implied by annotations. */
  tokenAudience?: string;
  /** Keys over the binary's base config file (ACR: azure.json); `undefined` removes the key. */
  config: Record<string, unknown>;
  kubelet: Partial<Record<KubeletKey, string>>;
  image?: string;
  faults: Fault[];
  expect: Expectation[];
}

const pair = (text: string, word: string): [string, string] => {
  const at = text.indexOf('=');
  if (at <= 0) throw new Error(`compatibility example: ${word} needs NAME=value`);
  return [text.slice(0, at), text.slice(at + 1)];
};

/** `true`, `3`, `"x"` become JSON values, like what the file would hold; anything else is a string. */
const configValue = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Parses one backticked case (see docs/compatibility.md, "How to read"). */
export function parseCase(text: string, defaultAudience: string): Case {
  const [setup = '', expectations = ''] = text.split(/(?:^|\s+)->(?:\s+|$)/);
  const result: Case = { args: [], env: {}, annotations: {}, config: {}, kubelet: {}, faults: [], expect: [] };
  for (const word of setup.split(/\s+/).filter(Boolean)) applySetup(result, word);
  if (Object.keys(result.annotations).length > 0) result.tokenAudience ??= defaultAudience;
  result.expect = expectations.split(/\s+/).filter(Boolean).map(parseExpectation);
  return result;
}

function applySetup(result: Case, word: string): void {
  const colon = word.indexOf(':');
  const prefix = colon > 0 && !word.startsWith('-') ? word.slice(0, colon) : '';
  const rest = word.slice(colon + 1);
  switch (prefix) {
    case 'env': {
      const [name, value] = pair(rest, word);
      result.env[name] = value;
      return;
    }
    case 'annotation': {
      const [key, value] = pair(rest, word);
      result.annotations[key] = value;
      return;
    }
    case 'token':
      result.tokenAudience = rest;
      return;
    case 'config': {
      if (rest.startsWith('-')) result.config[rest.slice(1)] = undefined;
      else {
        const [key, value] = pair(rest, word);
        result.config[key] = configValue(value);
      }
      return;
    }
    case 'kubelet': {
      const [key, value] = pair(rest, word);
      if (!(KUBELET_KEYS as readonly string[]).includes(key)) {
        throw new Error(`compatibility example: ${word}: the runner knows ${KUBELET_KEYS.join(', ')}`);
      }
      result.kubelet[key as KubeletKey] = value;
      return;
    }
    case 'image':
      result.image = rest;
      return;
    case 'fault': {
      const [endpoint, spec] = pair(rest, word);
      const [status, times = '1'] = spec.split('*');
      result.faults.push({ endpoint, status: Number(status), times: Number(times) });
      return;
    }
    default:
      result.args.push(word);
  }
}

function parseExpectation(word: string): Expectation {
  const negated = word.startsWith('!');
  const body = negated ? word.slice(1) : word;
  const colon = body.indexOf(':');
  const [kind, value] = [body.slice(0, colon), body.slice(colon + 1)];
  switch (kind) {
    case 'called': {
      const [target = '', count] = value.split('=');
      return { kind, target, negated, ...(count !== undefined ? { count: Number(count) } : {}) };
    }
    case 'stderr':
    case 'sent':
      return { kind, text: value, negated };
    case 'auth':
      return { kind, key: value };
    case 'user':
      return { kind, username: value };
    case 'cacheKeyType':
    case 'cacheDuration':
      return { kind, value, negated };
    default:
      throw new Error(`compatibility example: unknown expectation ${word}`);
  }
}

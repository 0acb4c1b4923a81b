/**
 * docs/compatibility.md stays true: every case in the `example` cell of every row (flags, env
 * vars, annotations, config keys) is run through the compiled binary as the kubelet runs it,
 * against the strict fakes behind the CONNECT proxy, and must exit as the row says and show what
 * its `->` part says; every flag a binary accepts and every annotation it reads must have a row.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provider as acrProvider } from '../../adapters/acr/index.ts';
import { provider as ecrProvider } from '../../adapters/ecr/index.ts';
import { provider as garProvider } from '../../adapters/gar/index.ts';
import { annotationKeysOf, type FlagSpecs, type FlagValues, flagSpecsOf, type Provider } from '../../core/index.ts';
import type { FakeRequest, KubeletResult } from '../../core/testing/index.ts';
import { ROOT } from '../support/commands.ts';
import { type Bench, startBenches } from './compatibility-benches.ts';
import {
  type Case,
  compatibilityRows,
  type Expectation,
  KINDS,
  parseCase,
  type Row,
  STATUSES,
} from './compatibility-table.ts';

const BINARIES = { ecr: ecrProvider, acr: acrProvider, gar: garProvider } as Record<string, Provider>;

const rows = compatibilityRows(readFileSync(join(ROOT, 'docs/compatibility.md'), 'utf8'));
const rowsOf = (binary: string, kind: string) => rows.filter((row) => row.binary === binary && row.kind === kind);

/** `-a, --authFlow` -> ['a', 'authFlow'] */
const namesOf = (row: Row) => row.name.split(',').map((name) => name.trim().replace(/^-+/, ''));

describe('docs/compatibility.md: the tables', () => {
  it('has rows for every binary, each well formed', () => {
    expect(new Set(rows.map((row) => row.binary))).toEqual(new Set(Object.keys(BINARIES)));
    for (const row of rows) {
      const label = `${row.binary} ${row.kind} ${row.name}`;
      expect(Object.keys(BINARIES), label).toContain(row.binary);
      expect(KINDS, label).toContain(row.kind);
      expect(STATUSES, label).toContain(row.status);
      expect(row.notes, label).not.toBe('');
      expect(row.examples.length, label).toBeGreaterThan(0);
      expect(row.exit, label).toMatch(/^\d+$/);
      for (const example of row.examples) expect(() => parseCase(example, 'aud'), label).not.toThrow();
    }
  });

  it.each(Object.entries(BINARIES))('%s: every flag the binary accepts has a row', (binary, provider) => {
    const documented = new Set(rowsOf(binary, 'flag').flatMap(namesOf));
    const accepted = Object.entries(flagSpecsOf(provider)).flatMap(([name, spec]) =>
      spec.short ? [name, spec.short] : [name],
    );
    expect(accepted.filter((name) => !documented.has(name))).toEqual([]);
  });

  it.each(Object.entries(BINARIES))('%s: a row of a flag the binary does not take says exit 2', (binary, provider) => {
    const accepted = new Set(Object.keys(flagSpecsOf(provider)));
    const unknown = rowsOf(binary, 'flag').filter((row) => !namesOf(row).some((name) => accepted.has(name)));
    for (const row of unknown) expect(row.exit, row.name).toBe('2');
  });

  it.each(Object.entries(BINARIES))('%s: every annotation the binary reads has a row', (binary, provider) => {
    const documented = new Set(rowsOf(binary, 'annotation').map((row) => row.name));
    const booleans = Object.entries(flagSpecsOf(provider)).filter(([, spec]) => spec.type === 'boolean');
    const allOn = Object.fromEntries(booleans.map(([name]) => [name, true])) as unknown as FlagValues<FlagSpecs>;
    const read = [{}, allOn].flatMap((flags) => {
      const keys = annotationKeysOf(provider, { flags, env: {} });
      return [...(keys.required ?? []), ...(keys.optional ?? [])];
    });
    expect([...new Set(read)].filter((key) => !documented.has(key))).toEqual([]);
  });
});

let benches: Record<string, Bench> = {};
beforeAll(async () => {
  benches = Object.fromEntries((await startBenches()).map((bench) => [bench.binary, bench]));
});
afterAll(async () => {
  await Promise.all(Object.values(benches).map((bench) => bench.close()));
});

/** Invocations that print help or the version instead of answering (`-v` is --version for ECR only). */
const prints = (binary: string, words: string[]) =>
  words.some((word) => ['-h', '--help', '--version', ...(binary === 'ecr' ? ['-v'] : [])].includes(word));

/** A request matches `host`, `endpoint` or `endpoint@host`. */
function matches(request: FakeRequest, target: string): boolean {
  const host = request.host.toLowerCase().replace(/\.$/, '');
  return [host, request.endpoint, `${request.endpoint}@${host}`].includes(target);
}

function check(expectation: Expectation, result: KubeletResult, requests: FakeRequest[]): void {
  const auth = result.response?.auth ?? {};
  switch (expectation.kind) {
    case 'called': {
      const seen = requests.filter((request) => matches(request, expectation.target)).length;
      const hosts = requests.map((request) => `${request.endpoint}@${request.host}`).join(' ');
      if (expectation.negated) expect(seen, `${expectation.target} in: ${hosts}`).toBe(0);
      else if (expectation.count !== undefined)
        expect(seen, `${expectation.target} in: ${hosts}`).toBe(expectation.count);
      else expect(seen, `${expectation.target} in: ${hosts}`).toBeGreaterThan(0);
      return;
    }
    case 'auth':
      if (expectation.key === 'none') expect(Object.keys(auth)).toEqual([]);
      else expect(Object.keys(auth)).toContain(expectation.key);
      return;
    case 'user': {
      const key = result.verdict.matchingKeys[0] ?? '';
      expect(auth[key]?.username, key).toBe(expectation.username);
      return;
    }
    case 'cacheKeyType':
    case 'cacheDuration':
      if (expectation.negated) expect(result.response?.[expectation.kind]).not.toBe(expectation.value);
      else expect(result.response?.[expectation.kind]).toBe(expectation.value);
      return;
    case 'sent': {
      // What the fakes received: request lines and bodies (never printed: they may hold secrets).
      const sent = requests.some((request) =>
        `${request.url.pathname}${request.url.search}\n${request.body}`.includes(expectation.text),
      );
      expect(sent, `a request carrying ${expectation.text}`).toBe(!expectation.negated);
      return;
    }
    case 'stderr':
      if (expectation.negated) expect(result.stderr).not.toContain(expectation.text);
      else expect(result.stderr).toContain(expectation.text);
  }
}

function checkOutcome(binary: string, c: Case, exit: string, result: KubeletResult): void {
  expect(result.exitCode, result.stderr).toBe(Number(exit));
  if (exit !== '0') {
    expect(result.stdout).toBe('');
    if (exit === '2') expect(result.stderr.trim().split('\n')).toHaveLength(1);
  } else if (prints(binary, c.args)) {
    expect(result.stdout).toMatch(/credkit-/);
  } else if (!c.expect.some((e) => e.kind === 'auth' && e.key === 'none')) {
    expect(result.verdict, result.stderr).toMatchObject({ valid: true });
    expect(Object.keys(result.response?.auth ?? {}).length).toBeGreaterThan(0);
  }
}

describe.each(Object.keys(BINARIES))('credkit-%s does what each row says', (binary) => {
  const cases = rows
    .filter((row) => row.binary === binary)
    .flatMap((row) => row.examples.map((example) => ({ ...row, example })));

  it.each(cases)('$kind $name: $example -> exit $exit ($status)', async ({ example, exit }) => {
    const bench = benches[binary] as Bench;
    const c = parseCase(example, bench.audience);
    const { result, requests } = await bench.run(c);
    checkOutcome(binary, c, exit, result);
    for (const expectation of c.expect) check(expectation, result, requests);
  });
});

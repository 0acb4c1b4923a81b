/**
 * docs/compatibility.md stays true: every row of its tables that is a flag is run through the
 * compiled binary, each of its example invocations, with a valid request the node's identity
 * answers (strict fakes behind the CONNECT proxy), and must exit as the row says; and every flag a
 * binary accepts must have a row.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provider as acrProvider } from '../../adapters/acr/index.ts';
import { provider as ecrProvider } from '../../adapters/ecr/index.ts';
import { provider as garProvider } from '../../adapters/gar/index.ts';
import { flagSpecsOf, type Provider } from '../../core/index.ts';
import { type KubeletResult, runLikeKubelet } from '../../core/testing/index.ts';
import { type AcrWorld, REGISTRY, startAcrWorld } from '../adapters/acr/world.ts';
import { type EcrWorld, startEcrWorld } from '../adapters/ecr/world.ts';
import { IMAGE as GAR_IMAGE, type GarWorld, startGarWorld, WIF_STS_AUDIENCE } from '../adapters/gar/world.ts';
import { providerCommand, ROOT } from '../support/commands.ts';

const HEADER = '| binary | kind | name | example | exit | status | notes |';
const STATUSES = ['same', 'superset', 'different', 'credkit'];
const BINARIES = { ecr: ecrProvider, acr: acrProvider, gar: garProvider } as Record<string, Provider>;

interface Row {
  binary: string;
  kind: string;
  name: string;
  examples: string[];
  exit: string;
  status: string;
  notes: string;
}

/** Every row of every table with the compatibility header, cells trimmed. */
function compatibilityRows(markdown: string): Row[] {
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

const rows = compatibilityRows(readFileSync(join(ROOT, 'docs/compatibility.md'), 'utf8'));
const flagRows = rows.filter((row) => row.kind === 'flag');

/** `-a, --authFlow` -> ['a', 'authFlow'] */
const namesOf = (row: Row) => row.name.split(',').map((name) => name.trim().replace(/^-+/, ''));

describe('docs/compatibility.md: the tables', () => {
  it('has rows for every binary, each well formed', () => {
    expect(new Set(flagRows.map((row) => row.binary))).toEqual(new Set(Object.keys(BINARIES)));
    for (const row of rows) {
      expect(Object.keys(BINARIES), row.name).toContain(row.binary);
      expect(STATUSES, row.name).toContain(row.status);
      expect(row.notes, row.name).not.toBe('');
      if (row.kind === 'flag') {
        expect(row.examples.length, row.name).toBeGreaterThan(0);
        expect(['0', '2'], row.name).toContain(row.exit);
      }
    }
  });

  it.each(Object.entries(BINARIES))('%s: every flag the binary accepts has a row', (binary, provider) => {
    const documented = new Set(flagRows.filter((row) => row.binary === binary).flatMap(namesOf));
    const accepted = Object.entries(flagSpecsOf(provider)).flatMap(([name, spec]) =>
      spec.short ? [name, spec.short] : [name],
    );
    expect(accepted.filter((name) => !documented.has(name))).toEqual([]);
  });

  it.each(Object.entries(BINARIES))('%s: a row of a flag the binary does not take says exit 2', (binary, provider) => {
    const accepted = new Set(Object.keys(flagSpecsOf(provider)));
    const unknown = flagRows.filter((row) => row.binary === binary && !namesOf(row).some((name) => accepted.has(name)));
    for (const row of unknown) expect(row.exit, row.name).toBe('2');
  });
});

let ecr: EcrWorld;
let acr: AcrWorld;
let gar: GarWorld;
let externalAccount: string;
beforeAll(async () => {
  [ecr, acr, gar] = await Promise.all([startEcrWorld(), startAcrWorld(), startGarWorld()]);
  externalAccount = join(ecr.env.HOME ?? '', 'external_account.json');
  writeFileSync(externalAccount, JSON.stringify({ type: 'external_account', audience: WIF_STS_AUDIENCE }));
});
afterAll(async () => {
  await Promise.all([ecr?.close(), acr?.close(), gar?.close()]);
});

/** One exec as the kubelet would: the upstream base arguments, then the example's words. */
function run(binary: string, words: string[]): Promise<{ result: KubeletResult; image: string }> {
  const args = words.map((word) => word.replace('<external_account.json>', externalAccount));
  if (binary === 'ecr') {
    const image = `${ecr.aws.registryHost()}/team-a/app`;
    return ecr.run({ image, args }).then((result) => ({ result, image }));
  }
  if (binary === 'acr') {
    const image = `${REGISTRY}/team/app`;
    return acr.exec({ image, args }).then((result) => ({ result, image }));
  }
  const result = runLikeKubelet({
    command: [...providerCommand('gar'), 'get-credentials', ...args],
    inheritedEnv: { PATH: process.env.PATH, ...gar.world.env },
    image: GAR_IMAGE,
  });
  return result.then((r) => ({ result: r, image: GAR_IMAGE }));
}

/** Invocations that print help or the version instead of answering (`-v` is --version for ECR only). */
const prints = (binary: string, words: string[]) =>
  words.some((word) => ['-h', '--help', '--version', ...(binary === 'ecr' ? ['-v'] : [])].includes(word));

describe.each(['ecr', 'acr', 'gar'])('credkit-%s runs every documented flag', (binary) => {
  const cases = flagRows
    .filter((row) => row.binary === binary)
    .flatMap((row) => row.examples.map((example) => ({ ...row, example })));

  it.each(cases)('$example -> exit $exit ($status)', async ({ example, exit }) => {
    const words = example.split(/\s+/);
    const { result, image } = await run(binary, words);
    expect(result.exitCode, result.stderr).toBe(Number(exit));
    if (exit !== '0') {
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    } else if (prints(binary, words)) {
      expect(result.stdout).toMatch(/credkit-/);
    } else {
      expect(result.verdict, result.stderr).toMatchObject({ valid: true });
      expect(Object.keys(result.response?.auth ?? {}).length, image).toBeGreaterThan(0);
    }
  });
});

/**
 * Loading a user's provider module on every Node the CLI supports: natively where Node strips
 * types (22.18+), bundled first where it does not (22.0-22.17).
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importModule, nodeStripsTypes } from '../../cli/module.ts';
import { isProvider } from '../../core/index.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/provider.ts', import.meta.url));

describe('nodeStripsTypes', () => {
  it.each([
    { name: 'Node 22.18+ and 23.6+', features: { typescript: 'strip' as const }, strips: true },
    { name: 'with --experimental-transform-types', features: { typescript: 'transform' as const }, strips: true },
    { name: 'Node 22.10-22.17', features: { typescript: false as const }, strips: false },
    { name: 'Node 22.0-22.9 (no such feature)', features: {}, strips: false },
  ])('$name → $strips', ({ features, strips }) => {
    expect(nodeStripsTypes(features)).toBe(strips);
  });
});

describe('importModule', () => {
  it.each([
    { name: 'native import', stripsTypes: true },
    { name: 'bundled first (a Node that cannot strip types)', stripsTypes: false },
  ])('$name: the default export is the provider, nothing is left beside the module', async ({ stripsTypes }) => {
    const before = readdirSync(dirname(FIXTURE));
    const module = (await importModule(FIXTURE, stripsTypes)) as { provider?: unknown };
    expect(isProvider(module.provider)).toBe(true);
    expect((module.provider as { name: string }).name).toBe('fixture-provider');
    expect(readdirSync(dirname(FIXTURE))).toEqual(before);
  });
});

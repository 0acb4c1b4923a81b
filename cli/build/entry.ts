/**
 * The entry point `credkit build` compiles: the user's provider module (its default export) handed
 * to the kit's `main`. Written to a scratch directory with absolute imports, so the user's project
 * is not touched and the module resolves its own imports from where it lives.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The core this CLI runs with, in the same form as this file: core/index.ts from source,
 * dist/lib/core/index.js in an installed package. The latter is what a user's `import 'credkit'`
 * resolves to, so the binary bundles one copy of the core, not two.
 */
const SELF = fileURLToPath(import.meta.url);
const CORE_INDEX = fileURLToPath(new URL(`../../core/index${extname(SELF)}`, import.meta.url));

export interface GeneratedEntry {
  file: string;
  dispose(): void;
}

/**
 * `topLevelAwait: false` for CommonJS bundles (Node SEA runs CommonJS only); `main` never resolves,
 * so not awaiting it changes nothing.
 */
export function writeProviderEntry(module: string, options: { topLevelAwait: boolean }): GeneratedEntry {
  const dir = mkdtempSync(join(tmpdir(), 'credkit-build-'));
  const file = join(dir, 'entry.ts');
  writeFileSync(file, providerEntrySource(resolve(module), CORE_INDEX, options.topLevelAwait));
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export function providerEntrySource(module: string, core: string, topLevelAwait: boolean): string {
  return [
    `import * as providerModule from ${JSON.stringify(module)};`,
    `import { isProvider, main } from ${JSON.stringify(core)};`,
    `import { writeSync } from 'node:fs';`,
    '',
    // A build can only check the default export by running the module; the binary checks it at start
    // (one property read) and `credkit build` runs the host binary once with --version to catch it.
    'const provider = (providerModule as { default?: unknown }).default;',
    'if (!isProvider(provider)) {',
    `  writeSync(2, ${JSON.stringify(`credkit: ${module} has no default export made with defineProvider: export default defineProvider({...})\n`)});`,
    '  process.exit(2);',
    '}',
    topLevelAwait ? 'await main(provider);' : 'void main(provider);',
    '',
  ].join('\n');
}

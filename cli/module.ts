/**
 * Imports a user's provider module. Node strips TypeScript types unflagged from 22.18 (and 23.6),
 * where `import()` is all it takes. Earlier Node 22 releases cannot load `.ts`, so there the module
 * is bundled to plain JavaScript first, with esbuild or bun, whichever is installed (the same
 * optional peers `credkit build` uses). The bundle holds the module's own files only: packages stay
 * imports, and the bundle is written beside the module (then removed) so they resolve from the
 * user's project exactly as the native import would resolve them.
 */
import { rmSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CredkitError } from '../core/index.ts';
import { runTool } from './build/exec.ts';
import { bunExecutable } from './build/runtimes.ts';

const TYPESCRIPT = ['.ts', '.mts', '.cts'];

/** Whether this Node loads `.ts` files by itself (process.features.typescript exists from 22.10). */
export function nodeStripsTypes(features: { typescript?: string | false } = process.features): boolean {
  return Boolean(features.typescript);
}

export async function importModule(path: string, stripsTypes = nodeStripsTypes()): Promise<unknown> {
  const file = resolve(path);
  if (stripsTypes || !TYPESCRIPT.includes(extname(file))) return import(pathToFileURL(file).href);
  const bundle = join(dirname(file), `.${basename(file)}.credkit-${process.pid}.mjs`);
  try {
    await bundleTypeScript(file, bundle);
    return await import(pathToFileURL(bundle).href);
  } finally {
    rmSync(bundle, { force: true });
  }
}

async function bundleTypeScript(entry: string, outfile: string): Promise<void> {
  const esbuild = await import('esbuild').catch(() => undefined);
  if (esbuild) {
    await esbuild.build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    return;
  }
  let bun: string;
  try {
    bun = bunExecutable().path;
  } catch {
    throw new CredkitError(
      'usage',
      `Node.js ${process.version} cannot load TypeScript (${basename(entry)}): use Node.js 22.18 or newer, or npm i -D esbuild`,
    );
  }
  await runTool(bun, ['build', entry, '--target=node', '--format=esm', '--packages=external', `--outfile=${outfile}`]);
}

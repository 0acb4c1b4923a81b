/**
 * The alternative back-end: a Node.js single executable application (SEA). The bundle is one
 * CommonJS file (SEA runs CommonJS only) with V8's code cache, injected into a copy of the pinned
 * node binary with postject. Host target only: a SEA must embed a node of the target's platform,
 * and only bun's runtimes come as npm packages here.
 */
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { CompileInput } from './bun.ts';
import { runTool } from './exec.ts';
import { nodeExecutable, requireNodeSeaTools } from './runtimes.ts';

const require = createRequire(import.meta.url);
/** The fuse postject flips so node knows a blob was injected (the value node's SEA docs give). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export async function compileWithNodeSea(input: CompileInput & { workDir: string }): Promise<void> {
  requireNodeSeaTools();
  const node = nodeExecutable();
  const bundle = join(input.workDir, 'main.cjs');
  const blob = join(input.workDir, 'sea.blob');
  const config = join(input.workDir, 'sea-config.json');
  await bundleCommonJs(input.entry, bundle, input.metafile);
  writeFileSync(
    config,
    JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }),
  );
  // The blob's code cache is only valid for the node that made it: make it with the one we embed.
  await runTool(node, ['--experimental-sea-config', config], { cwd: input.workDir });
  copyFileSync(node, input.outfile);
  chmodSync(input.outfile, 0o755);
  // The pinned node carries debug info (~18 MB); strip it when a strip tool is there.
  await runTool('strip', [input.outfile]).catch(() => undefined);
  const postject = join(require.resolve('postject/package.json'), '..', 'dist', 'cli.js');
  await runTool(node, [postject, input.outfile, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
}

async function bundleCommonJs(entry: string, outfile: string, metafile: string | undefined): Promise<void> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minify: true,
    keepNames: true,
    logLevel: 'silent',
    metafile: metafile !== undefined,
  });
  if (metafile && result.metafile) writeFileSync(metafile, JSON.stringify(result.metafile));
}

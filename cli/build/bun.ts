/**
 * The default back-end: `bun build --compile`. Measured against Node SEA in bench/RESULTS.md: about
 * half the start-up time and RSS, a smaller file, and cross targets from npm packages.
 */
import { runTool } from './exec.ts';
import { bunExecutable, bunRuntimeFor } from './runtimes.ts';
import type { Target } from './targets.ts';

export interface CompileInput {
  entry: string;
  outfile: string;
  target: Target;
  /** Where to write the bundle's metafile (what went in), if anywhere. */
  metafile?: string | undefined;
}

const BUN_TARGETS: Record<Target, string> = {
  'linux-x64': 'bun-linux-x64',
  'linux-arm64': 'bun-linux-arm64',
  'windows-x64': 'bun-windows-x64',
};

export async function compileWithBun(input: CompileInput): Promise<void> {
  const bun = bunExecutable();
  const runtime = await bunRuntimeFor(input.target, bun.version);
  await runTool(bun.path, bunArgs(input, runtime));
}

/**
 * The environment a bun-built provider wants from its kubelet config entry (`credkit config` writes
 * it; the config's `env` is the only way in, because the runtime reads it before any of our code).
 *
 * BUN_GC_TIMER_DISABLE: bun's GC controller (src/bun.js/event_loop/GarbageCollectionController.zig)
 * starts a collection at the first event-loop turn, 16 ms after every turn in which the heap grew,
 * and every second: for a long-running server. A plugin exec lives for one request and exits, and
 * JavaScriptCore's own allocation-driven collections still bound its memory. Measured in storms of 64
 * (bench/RESULTS.md): credkit-acr 36–39 ms of CPU per exec without it, 28–34 with it; an exec whose
 * round trips take 1.5 s each, 45 ms without it and 34 with it. Execs that end within ~50 ms do not
 * change.
 */
export const BUN_PROVIDER_ENV: Readonly<Record<string, string>> = { BUN_GC_TIMER_DISABLE: '1' };

/** Tier-up thresholds × 1000: in practice the interpreter and baseline JIT only, for short-lived execs. */
const JIT_POLICY = 1000;

export function bunArgs(input: CompileInput, runtime: string | undefined): string[] {
  return [
    'build',
    input.entry,
    '--compile',
    `--outfile=${input.outfile}`,
    `--target=${BUN_TARGETS[input.target]}`,
    ...(runtime ? [`--compile-executable-path=${runtime}`] : []),
    ...(input.metafile ? [`--metafile=${input.metafile}`] : []),
    // Bytecode: the module graph is parsed at build time, not on every exec (measured: -35 ms).
    '--bytecode',
    '--format=esm',
    // Each lazy import() its own module in the executable, loaded when first imported: without it
    // the whole graph is one module whose builtin imports (node:http from an SDK's credential
    // chain) load at start-up. Measured: credkit-ecr -4 ms CPU, credkit-node -12 ms (bench/RESULTS.md);
    // credkit-acr's @azure/identity (non-IMDS managed identity only) costs other execs nothing.
    '--splitting',
    // Packages' ES module builds (the `module` export condition, which esbuild honours by default):
    // bun would take the `node` CommonJS build, one file that requires a whole SDK submodule. For
    // credkit-ecr, `partition` from @aws-sdk/core/client costs ~10 ms of CPU that way and ~0 as ESM.
    '--conditions=module',
    '--minify',
    // An exec lives ~100 ms: tiering hot functions up to the optimising JITs costs more CPU than it
    // saves in that time. Measured on credkit-ecr: -15% CPU and -5 MiB RSS (bench/RESULTS.md).
    `--compile-jit-policy=${JIT_POLICY}`,
    // Class names survive minification: SDKs and our own errors branch on `error.name`.
    '--keep-names',
    // A plugin runs in the kubelet's working directory: a stray .env or bunfig.toml there must not
    // change what it does (and looking for them costs a few stat calls per exec).
    '--no-compile-autoload-dotenv',
    '--no-compile-autoload-bunfig',
  ];
}

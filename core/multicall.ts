/**
 * One executable serving several providers, chosen by the name it is invoked under (busybox
 * style): a node that serves three clouds carries one runtime instead of three. The kubelet execs
 * `<imageCredentialProviderBinDir>/<provider name>`, so each name is a symlink or hard link to the
 * one file; `process.argv0` keeps the invoked name through both in a compiled binary (execPath
 * follows a symlink to its target, so it cannot be used). Each provider's module is imported only
 * when its name is used, so an exec costs what the single-provider binary costs.
 */
import { basename } from 'node:path';
import type { Provider } from './provider.ts';
import { main } from './run.ts';
import { writeOut } from './stdio.ts';

/** Invoked name -> the provider's module, imported on use. */
export type ProviderTable = Record<string, () => Promise<{ provider: Provider }>>;

/** The invoked name, without directories or a Windows `.exe`. */
export function invokedName(argv0: string): string {
  return basename(argv0.replaceAll('\\', '/')).replace(/\.exe$/i, '');
}

/**
 * Runs the provider the binary was invoked as. Under any other name (its own, `credkit-node`) it
 * serves nobody: `--version`/`--help` list the names it answers to, anything else is a usage error.
 */
export async function mainByName(table: ProviderTable, argv0: string = process.argv0): Promise<never> {
  const name = invokedName(argv0);
  const load = Object.hasOwn(table, name) ? table[name] : undefined;
  if (load) return main((await load()).provider);
  const names = Object.keys(table).join(', ');
  const asked = process.argv.slice(2).some((arg) => ['--version', '--help', '-h'].includes(arg));
  if (asked) {
    await writeOut(1, `${name}: one binary for every provider; link it as ${names}\n`);
    process.exit(0);
  }
  await writeOut(2, `${name}: link this binary under the name of the provider it should be: ${names}\n`);
  process.exit(2);
}

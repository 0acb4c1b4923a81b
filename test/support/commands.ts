/**
 * How tests start a provider "as the kubelet would": the compiled dist/bin/credkit-<cloud>, which
 * the test setup (global-setup.ts) rebuilds when it is older than its sources. Falls back to the
 * TypeScript sources under the pinned Node when the binary is missing or stale (an adapter mid-edit),
 * or when CREDKIT_TEST_RUNTIME=ts asks for it.
 */
import { adapterNamed } from '../../adapters/index.ts';
import { BINARIES, binaryPath, isStale, ROOT } from '../../scripts/binaries.ts';

export { ROOT };

/** argv for the binary of the registered adapter `cloud` (adapters/index.ts), e.g. credkit-ecr. */
export function providerCommand(cloud: string): string[] {
  const adapter = adapterNamed(cloud);
  const compiled = compiledProvider(adapter?.binary ?? `credkit-${cloud}`);
  if (compiled) return [compiled];
  return [process.execPath, `${ROOT}test/support/provider-main.ts`, cloud];
}

/** The fresh compiled binary `name` (a BINARIES entry), or undefined. */
export function compiledProvider(name: string): string | undefined {
  if (process.env.CREDKIT_TEST_RUNTIME === 'ts') return undefined;
  const spec = BINARIES.find((binary) => binary.name === name);
  if (!spec || isStale(spec)) return undefined;
  return binaryPath(name);
}

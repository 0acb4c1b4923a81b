/**
 * How tests start a provider "as the kubelet would": the compiled dist/bin/credkit-<cloud>, which
 * the test setup (global-setup.ts) rebuilds when it is older than its sources. Falls back to the
 * TypeScript entry under the pinned Node when the binary is missing or stale (an adapter mid-edit),
 * or when CREDKIT_TEST_RUNTIME=ts asks for it.
 */
import { BINARIES, binaryPath, isStale, ROOT } from '../../scripts/binaries.ts';

export { ROOT };

/** argv for the per-cloud binary named `credkit-<cloud>` (cloud: ecr | acr | gar). */
export function providerCommand(cloud: string): string[] {
  const compiled = compiledProvider(`credkit-${cloud}`);
  return compiled ? [compiled] : [process.execPath, `${ROOT}cli/${cloud}.ts`];
}

/** The fresh compiled binary `name` (a BINARIES entry), or undefined. */
export function compiledProvider(name: string): string | undefined {
  if (process.env.CREDKIT_TEST_RUNTIME === 'ts') return undefined;
  const spec = BINARIES.find((binary) => binary.name === name);
  if (!spec || isStale(spec)) return undefined;
  return binaryPath(name);
}

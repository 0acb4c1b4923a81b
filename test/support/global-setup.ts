/**
 * Before a test run: rebuild the host binaries that are missing or older than their sources, so
 * end-to-end tests exec the compiled files as the kubelet would. A binary that fails to build is
 * reported here and its tests fall back to the TypeScript entry (providerCommand); the build test
 * (test/cli/build.test.ts) is the one that fails on it.
 */
import { hostTarget } from '../../cli/build/targets.ts';
import { buildBinaries } from '../../scripts/build-binaries.ts';

export default async function setup(): Promise<void> {
  if (process.env.CREDKIT_TEST_RUNTIME === 'ts') return;
  const host = hostTarget();
  if (!host) return;
  const result = await buildBinaries({ targets: [host], ifStale: true });
  for (const failure of result.failed) {
    process.stderr.write(
      `[credkit test setup] ${failure.name} did not build, its tests run the TypeScript entry: ${failure.error}\n`,
    );
  }
}

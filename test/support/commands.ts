/**
 * How tests start a provider "as the kubelet would". Until the binaries build lands this runs the
 * TypeScript entry point under the pinned Node; the build will switch it to dist/bin executables.
 */
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** argv for the per-cloud binary named `credkit-<cloud>` (cloud: ecr | acr | gar). */
export function providerCommand(cloud: string): string[] {
  return [process.execPath, `${ROOT}cli/${cloud}.ts`];
}

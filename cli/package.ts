/**
 * The credkit package on disk, found the same way whether this file runs from source (the
 * repository's cli/) or compiled (dist/lib/cli/ of an installed package): the nearest package.json
 * above it that names credkit. Paths relative to this file would differ by two levels between the two.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  name?: string;
  version?: string;
}

let found: { root: string; manifest: PackageJson } | undefined;

function locate(): { root: string; manifest: PackageJson } {
  if (found) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      if (manifest.name === 'credkit') {
        found = { root: dir, manifest };
        return found;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the credkit package.json above the CLI');
    dir = parent;
  }
}

/** The directory holding credkit's package.json (the repository, or node_modules/credkit). */
export function packageRoot(): string {
  return locate().root;
}

export function packageVersion(): string {
  return locate().manifest.version ?? '0.0.0';
}

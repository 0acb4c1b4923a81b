/**
 * A real registry client against the fakes: `skopeo inspect` with a credential a provider returned,
 * through the world's CONNECT proxy and trusting its test CA, as a node's container runtime would
 * use it. Proves the credential works, not only that the answer is well formed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FakeWorld } from './world.ts';

export interface InspectResult {
  /** Whether the registry accepted the credential and served the manifest. */
  ok: boolean;
  /** skopeo's JSON on success (Name, Digest, Os...). */
  manifest?: Record<string, unknown>;
  /** skopeo's stderr on failure (e.g. "unauthorized: authentication required"). */
  error?: string;
}

const SKOPEO_MISSING =
  'skopeoInspect runs skopeo, which is not on PATH: install it (Debian and Ubuntu: apt-get install skopeo)';

export async function skopeoInspect(
  world: Pick<FakeWorld, 'ca' | 'env'>,
  reference: string,
  credential: { username: string; password: string },
): Promise<InspectResult> {
  const args = ['inspect', '--no-tags', '--cert-dir', world.ca.certDir];
  args.push('--creds', `${credential.username}:${credential.password}`, `docker://${reference}`);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...world.env };
  try {
    const { stdout } = await promisify(execFile)('skopeo', args, { env, timeout: 30_000 });
    return { ok: true, manifest: JSON.parse(stdout) };
  } catch (error) {
    // Not a refusal: the client itself is missing. Say what to install rather than ENOENT.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(SKOPEO_MISSING);
    return { ok: false, error: String((error as { stderr?: string }).stderr || (error as Error).message) };
  }
}

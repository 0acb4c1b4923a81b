/** The CredkitError `run` throws, or undefined when it returns; anything else thrown is rethrown. */
import { CredkitError } from '../../core/index.ts';

export function credkitErrorOf(run: () => unknown): CredkitError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof CredkitError) return error;
    throw error;
  }
}

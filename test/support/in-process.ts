/**
 * A provider run in this process by the core's own entry point, as the compiled binary runs it,
 * with the request on stdin and both streams collected: for tests that need the provider's code
 * paths (mocked modules, coverage) rather than the binary.
 */
import { type Env, type FlagSpecs, type Provider, runProvider } from '../../core/index.ts';

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runInProcess<F extends FlagSpecs>(
  provider: Provider<F>,
  options: { argv: string[]; env: Env; request: string },
): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const code = await runProvider(provider, {
    argv: options.argv,
    env: options.env,
    stdin: (async function* () {
      yield options.request;
    })(),
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

/**
 * `node test/support/provider-main.ts <adapter> [args...]`: a registered adapter's provider run
 * from the TypeScript sources, as its binary would run it (the rest of argv is the binary's). The
 * tests' fallback when the compiled binary is stale or CREDKIT_TEST_RUNTIME=ts asks for it.
 */
import { adapterNamed } from '../../adapters/index.ts';
import { main } from '../../core/index.ts';

const [name = ''] = process.argv.splice(2, 1);
const adapter = adapterNamed(name);
if (!adapter) {
  process.stderr.write(`provider-main: no registered adapter ${JSON.stringify(name)} (adapters/index.ts)\n`);
  process.exit(2);
}
await main(await adapter.provider());

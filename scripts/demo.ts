/**
 * `npm run demo`: the main job on an embedded default. Builds the host binaries (when stale), and
 * for every registered adapter (adapters/index.ts) puts its fake cloud behind the real host names
 * on loopback (test CA, CONNECT proxy, a fake service account issuer), then runs its binary exactly
 * as the kubelet would: with the node's identity, for each of two service accounts, and whatever
 * more its scenario shows. Prints what the kubelet would do with every answer; passwords appear
 * only as fingerprints.
 */
import { ADAPTERS } from '../adapters/index.ts';
import { hostTarget } from '../cli/build/targets.ts';
import { summary } from '../cli/invoke.ts';
import { type KubeletResult, runLikeKubelet, type ScenarioRun } from '../core/testing/index.ts';
import { startScenario } from '../testing/index.ts';
import { binaryPath } from './binaries.ts';
import { buildBinaries } from './build-binaries.ts';

function row(binary: string, exec: ScenarioRun, result: KubeletResult): string {
  const s = summary(result);
  const credential = s.auth[0] ? `${s.auth[0].username.slice(0, 36)} ${s.auth[0].password}` : 'no credentials';
  const verdict = s.valid ? `ok, cache ${s.cacheSeconds}s` : `REJECTED: ${[...s.reasons, ...s.stderr].join(' | ')}`;
  return `${binary.padEnd(13)} ${exec.label.padEnd(24)} ${String(s.durationMs).padStart(5)} ms  ${verdict.padEnd(22)} ${credential}`;
}

async function main(): Promise<number> {
  const host = hostTarget();
  if (!host) throw new Error('no host build target for this platform');
  process.stdout.write(`building ${ADAPTERS.map((adapter) => adapter.binary).join(', ')} (when stale)...\n`);
  const built = await buildBinaries({ targets: [host], ifStale: true });
  if (built.failed.length > 0) throw new Error(`build failed: ${built.failed.map((f) => f.name).join(', ')}`);

  let failures = 0;
  // Each cloud gets its own world: the metadata services all live at 169.254.169.254, as on real
  // nodes, and a node belongs to one cloud.
  for (const adapter of ADAPTERS) {
    const scenario = await startScenario(adapter.name, 2);
    try {
      process.stdout.write(
        `\nfake ${adapter.name} cloud on loopback behind the CONNECT proxy ${scenario.world.proxy.url}\n`,
      );
      const execs = [
        ...(scenario.node ? [scenario.node] : []),
        await scenario.serviceAccount(0),
        await scenario.serviceAccount(1),
        ...((await scenario.more?.()) ?? []),
      ];
      for (const exec of execs) {
        const result = await runLikeKubelet({ command: [binaryPath(adapter.binary), ...exec.args], ...exec.run });
        if (!result.verdict.valid) failures++;
        process.stdout.write(`${row(adapter.binary, exec, result)}\n`);
      }
    } finally {
      await scenario.world.close();
    }
  }
  process.stdout.write(
    `\n${failures === 0 ? 'every answer is one the kubelet would use' : `${failures} answer(s) the kubelet would reject`}\n`,
  );
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main().catch((error: Error) => {
  process.stderr.write(`demo: ${error.message}\n`);
  return 1;
});

/**
 * dist/bin/credkit-node: one executable for every registered adapter, chosen by the name the
 * kubelet execs it under. Each name is linked in a fresh plugin directory both ways an installer
 * may do it (symlink, hard link), then run as the kubelet runs it against that adapter's fakes.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { invokedName } from '../../core/multicall.ts';
import { carriesIdentity, runLikeKubelet, type Scenario } from '../../core/testing/index.ts';
import { renderInstaller } from '../../deploy/render.ts';
import { binaryPath, NODE_BINARY, nodeBinaryNames, ROOT } from '../../scripts/binaries.ts';
import { startScenario } from '../../testing/index.ts';

describe('invokedName', () => {
  it.each([
    { argv0: '/etc/eks/image-credential-provider/ecr-credential-provider', name: 'ecr-credential-provider' },
    { argv0: './credkit-gar', name: 'credkit-gar' },
    { argv0: 'credkit-acr', name: 'credkit-acr' },
    { argv0: 'C:\\k\\credential-provider\\credkit-acr.exe', name: 'credkit-acr' },
    { argv0: 'CREDKIT-ACR.EXE', name: 'CREDKIT-ACR' },
  ])('$argv0 → $name', ({ argv0, name }) => expect(invokedName(argv0)).toBe(name));
});

const binary = binaryPath(NODE_BINARY.name);
const plugins = mkdtempSync(join(tmpdir(), 'credkit-node-plugins-'));
const names = nodeBinaryNames();
const scenarios = new Map<string, Scenario>();

beforeAll(async () => {
  for (const adapter of new Set(names.map((row) => row.adapter)))
    scenarios.set(adapter, await startScenario(adapter, 1));
}, 60_000);
afterAll(async () => {
  await Promise.all([...scenarios.values()].map((scenario) => scenario.world.close()));
  rmSync(plugins, { recursive: true, force: true });
});

const rows = names.flatMap(({ name, adapter }) => [
  { name, adapter, link: 'symlink' as const },
  { name, adapter, link: 'hard link' as const },
]);

describe('credkit-node', () => {
  it.each(rows)(
    'as $name ($link): the $adapter provider answers with its own credential',
    async ({ name, adapter, link }) => {
      const dir = mkdtempSync(join(plugins, 'dir-'));
      const file = join(dir, name);
      if (link === 'symlink') symlinkSync(binary, file);
      else linkSync(binary, file);
      const scenario = scenarios.get(adapter)!;
      const exec = await scenario.serviceAccount(0);
      const result = await runLikeKubelet({ command: [file, ...exec.args], ...exec.run });
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(result.verdict.valid).toBe(true);
      const password = Object.values(result.response?.auth ?? {})[0]?.password;
      expect(carriesIdentity(scenario, exec, password)).toBe(true);
    },
  );

  it('answers --version under each name as that provider', () => {
    const dir = mkdtempSync(join(plugins, 'version-'));
    for (const { name, adapter } of names) {
      symlinkSync(binary, join(dir, name));
      const out = execFileSync(join(dir, name), ['--version'], { encoding: 'utf8' });
      expect(out).toMatch(new RegExp(`^credkit-${adapter} \\S+\\n$`));
    }
  });

  it('installed by deploy/install.sh as a two-cloud installer renders it: each link is its provider', async () => {
    const yaml = await renderInstaller({
      clouds: ['ecr', 'quay'],
      binDir: '/etc/kubernetes/image-credential-provider',
    });
    const daemonSet = parseAllDocuments(yaml)
      .map((document) => document.toJS())
      .find((object) => object.kind === 'DaemonSet');
    const env = Object.fromEntries(
      daemonSet.spec.template.spec.initContainers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      CREDKIT_BINARY: 'credkit-node',
      CREDKIT_INSTALL_AS: 'ecr-credential-provider credkit-quay',
    });
    const host = mkdtempSync(join(plugins, 'host-'));
    const image = mkdtempSync(join(plugins, 'image-'));
    symlinkSync(binary, join(image, 'credkit-node'));
    execFileSync('sh', [join(ROOT, 'deploy', 'install.sh')], {
      env: {
        PATH: '/usr/bin:/bin',
        ...env,
        CREDKIT_SOURCE_DIR: image,
        CREDKIT_HOST_DIR: host,
        CREDKIT_CONFIG: '/nonexistent',
      },
    });
    for (const [name, adapter] of [
      ['ecr-credential-provider', 'ecr'],
      ['credkit-quay', 'quay'],
    ]) {
      const out = execFileSync(join(host, name as string), ['--version'], { encoding: 'utf8' });
      expect(out).toMatch(new RegExp(`^credkit-${adapter} \\S+\\n$`));
    }
  });

  it('under its own name serves nobody: one line naming the links, exit 2', () => {
    let failure: { status?: number; stderr?: string; stdout?: string } = {};
    try {
      execFileSync(binary, [], { encoding: 'utf8', input: '{}', stdio: 'pipe' });
    } catch (error) {
      failure = error as typeof failure;
    }
    expect(failure.status).toBe(2);
    expect(failure.stdout).toBe('');
    const lines = failure.stderr?.trimEnd().split('\n') ?? [];
    expect(lines).toHaveLength(1);
    for (const { name } of names) expect(lines[0]).toContain(name);
  });
});

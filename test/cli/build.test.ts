/**
 * The compiled binaries, exec'd as the kubelet execs them (runLikeKubelet) and judged by its rules:
 * a custom provider built with `credkit build`, the core HTTP layer inside a binary (proxy, test CA,
 * NO_PROXY, deadline), the three per-cloud binaries against their fakes, the cross targets and the
 * Node SEA back-end. stderr must stay empty at default verbosity: no runtime warnings.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS } from '../../adapters/index.ts';
import { build, runBuildCommand } from '../../cli/build.ts';
import { ERROR_KINDS } from '../../core/index.ts';
import {
  carriesIdentity,
  type FakeServer,
  type FakeWorld,
  kubeletEnv,
  runLikeKubelet,
  SCENARIO_NAMESPACE,
  startFakeWorld,
} from '../../core/testing/index.ts';
import { ADAPTER_BINARIES, binaryPath, prepareEntry, ROOT } from '../../scripts/binaries.ts';
import { startScenario } from '../../testing/index.ts';
import { providerCommand } from '../support/commands.ts';
import { executableFormat, TARGET_FORMATS } from '../support/executable.ts';

// Each build here writes a 100 MB binary: the directory goes when the file is done.
const work = mkdtempSync(join(tmpdir(), 'credkit-build-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const FIXTURES = join(ROOT, 'test', 'cli', 'build-fixtures');

async function credkitBuild(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runBuildCommand(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

const STATIC_ENV = { STATIC_USERNAME: 'robot$puller', STATIC_PASSWORD: 'static-password-9f8e7d6c' };

describe('credkit build <module>: a custom provider as a kubelet plugin binary', () => {
  const binary = join(work, 'static-provider');

  beforeAll(async () => {
    const built = await credkitBuild(join(ROOT, 'examples', 'static.ts'), '-o', binary);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/^built .*static-provider \(linux-x64, bun, [\d.]+ MiB\)/);
  }, 120_000);

  const served = [
    {
      name: 'v1, tagged image',
      apiVersion: 'v1',
      image: 'registry.example.com/team/app:1.0',
      keys: ['registry.example.com'],
    },
    {
      name: 'v1beta1, digest',
      apiVersion: 'v1beta1',
      image: `registry.example.com/app@sha256:${'a'.repeat(64)}`,
      keys: ['registry.example.com'],
    },
    {
      name: 'v1alpha1, subdomain',
      apiVersion: 'v1alpha1',
      image: 'eu.registry.example.com/app',
      keys: ['eu.registry.example.com'],
    },
    { name: 'an image it does not serve', apiVersion: 'v1', image: 'docker.io/library/nginx', keys: [] },
  ];
  it.each(served)('$name: valid answer, empty stderr', async ({ apiVersion, image, keys }) => {
    const result = await runLikeKubelet({ command: [binary], env: STATIC_ENV, image, apiVersion });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.verdict).toMatchObject({ valid: true, matchingKeys: keys });
    // One hour minus the default five-minute safety margin, or 0s when not served.
    expect(result.verdict.cacheSeconds).toBeCloseTo(keys.length > 0 ? 3300 : 0, -1);
  });

  const failures = [
    {
      name: 'stdin is not JSON',
      args: [],
      stdin: '{"apiVersion":',
      exitCode: ERROR_KINDS.request,
      says: 'not a JSON CredentialProviderRequest',
    },
    { name: 'unknown flag', args: ['--bogus'], stdin: undefined, exitCode: ERROR_KINDS.usage, says: 'bogus' },
  ];
  it.each(failures)(
    '$name: exit $exitCode, one line, empty stdout, no secret',
    async ({ args, stdin, exitCode, says }) => {
      const result = await runLikeKubelet({
        command: [binary, ...args],
        env: STATIC_ENV,
        image: 'registry.example.com/app',
        ...(stdin !== undefined ? { stdin } : {}),
      });
      expect(result.exitCode).toBe(exitCode);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(says);
      expect(result.stderr).not.toContain(STATIC_ENV.STATIC_PASSWORD);
    },
  );
});

describe('credkit build: command-line mistakes are one line and exit 2', () => {
  const cases = [
    { name: 'no module', argv: ['-o', join(work, 'x')], says: 'give exactly one module' },
    { name: 'no -o', argv: [join(ROOT, 'examples', 'static.ts')], says: 'missing -o' },
    {
      name: 'unknown target',
      argv: [join(ROOT, 'examples', 'static.ts'), '-o', join(work, 'x'), '--target', 'darwin-arm64'],
      says: 'unknown --target darwin-arm64',
    },
    {
      name: 'unknown backend',
      argv: [join(ROOT, 'examples', 'static.ts'), '-o', join(work, 'x'), '--backend', 'deno'],
      says: 'unknown --backend deno',
    },
    { name: 'missing module', argv: [join(work, 'nope.ts'), '-o', join(work, 'x')], says: 'does not exist' },
    {
      name: 'node-sea cross target',
      argv: [
        join(ROOT, 'examples', 'static.ts'),
        '-o',
        join(work, 'x'),
        '--backend',
        'node-sea',
        '--target',
        'windows-x64',
      ],
      says: 'use --backend bun for windows-x64',
    },
    {
      name: 'default export is not a provider',
      argv: [join(FIXTURES, 'not-a-provider.ts'), '-o', join(work, 'not-a-provider')],
      says: 'has no default export made with defineProvider',
    },
  ];
  it.each(cases)('$name', async ({ argv, says }) => {
    const result = await credkitBuild(...argv);
    expect(result.code).toBe(ERROR_KINDS.usage);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(says);
    expect(existsSync(join(work, 'x'))).toBe(false);
    expect(existsSync(join(work, 'not-a-provider'))).toBe(false);
  });
});

describe('the core HTTP layer inside a compiled binary', () => {
  const binary = join(work, 'http-fixture');
  const host = 'tokens.credkit.test';
  const password = 'fixture-password-0a1b2c3d4e';
  let world: FakeWorld;
  let server: FakeServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    world = await startFakeWorld();
    server = await world.serve([host], () => ({ body: { username: 'robot', password, expiresIn: 3600 } }));
    env = kubeletEnv(world);
    const built = await credkitBuild(join(FIXTURES, 'http-provider.ts'), '-o', binary);
    expect(built.stderr).toBe('');
  }, 120_000);
  afterAll(() => world?.close());

  const run = (extra: Record<string, string>, args: string[] = []) =>
    runLikeKubelet({
      command: [binary, ...args],
      inheritedEnv: env,
      env: { FIXTURE_TOKEN_HOST: host, ...extra },
      image: 'registry.credkit.test/app',
    });

  const cases: Array<{
    name: string;
    extra: Record<string, string>;
    args: string[];
    exitCode: number;
    connects: number;
    calls: number;
    says: string;
  }> = [
    {
      name: 'tunnels through HTTPS_PROXY and trusts NODE_EXTRA_CA_CERTS',
      extra: {},
      args: [],
      exitCode: 0,
      connects: 1,
      calls: 1,
      says: '',
    },
    {
      name: 'without the test CA the server is not trusted',
      extra: { NODE_EXTRA_CA_CERTS: '', SSL_CERT_FILE: '' },
      args: [],
      exitCode: ERROR_KINDS.unavailable,
      connects: 1,
      calls: 0,
      says: `TLS to ${host}`,
    },
    {
      name: 'NO_PROXY sends it direct (and the test host does not resolve)',
      extra: { NO_PROXY: '.credkit.test', no_proxy: '.credkit.test' },
      args: [],
      exitCode: ERROR_KINDS.unavailable,
      connects: 0,
      calls: 0,
      says: `${host} does not resolve`,
    },
  ];
  it.each(cases)('$name', async ({ extra, args, exitCode, connects, calls, says }) => {
    const [connectsBefore, callsBefore] = [world.proxy.count(host), server.calls()];
    const result = await run(extra, args);
    expect(result.exitCode).toBe(exitCode);
    expect(world.proxy.count(host) - connectsBefore).toBe(connects);
    expect(server.calls() - callsBefore).toBe(calls);
    if (exitCode === 0) {
      expect(result.stderr).toBe('');
      expect(result.verdict.valid).toBe(true);
      expect(result.response?.auth?.['registry.credkit.test']?.password).toBe(password);
    } else {
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(says);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('stops at --timeout when the server hangs', async () => {
    server.faults.push('GET /token', { delayMs: 8_000 });
    const result = await run({}, ['--timeout=1s']);
    expect(result.exitCode).toBe(ERROR_KINDS.deadline);
    expect(result.durationMs).toBeLessThan(5_000);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

/** Every registered adapter's scenario, started once for this file (each in a world of its own). */
const adapterScenarios = await Promise.all(
  ADAPTERS.map(async (adapter) => ({
    cloud: adapter.name,
    binary: adapter.binary,
    scenario: await startScenario(adapter.name, 2),
  })),
);
afterAll(() => Promise.all(adapterScenarios.map(({ scenario }) => scenario.world.close())));

describe.each(adapterScenarios)(
  'dist/bin/$binary against its fake cloud',
  ({ cloud, binary: binaryName, scenario }) => {
    const world = scenario.world;

    it('is a fresh host executable, and what providerCommand runs', () => {
      const binary = binaryPath(binaryName);
      expect(providerCommand(cloud)).toEqual([binary]);
      expect(executableFormat(binary)).toEqual(TARGET_FORMATS['linux-x64']);
    });

    const node = scenario.node;
    const identities = [
      ...(node ? [{ name: 'node identity', pick: () => Promise.resolve(node) }] : []),
      { name: 'service account token exchange', pick: () => scenario.serviceAccount(1) },
    ];
    it.each(identities)('$name: valid, its own credential, through the proxy, empty stderr', async ({ pick }) => {
      const exec = await pick();
      const connects = world.proxy.connects.length;
      const result = await runLikeKubelet({ command: [...providerCommand(cloud), ...exec.args], ...exec.run });
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(result.verdict.valid).toBe(true);
      expect(result.verdict.cacheSeconds).toBeGreaterThan(0);
      const password = Object.values(result.response?.auth ?? {})[0]?.password;
      expect(carriesIdentity(scenario, exec, password)).toBe(true);
      expect(world.proxy.connects.length).toBeGreaterThan(connects);
    });

    it('a token for another audience: exit 4, one line, the token nowhere', async () => {
      const exec = await scenario.serviceAccount(0);
      const token = await world.issuer.mint({
        namespace: SCENARIO_NAMESPACE,
        serviceAccount: 'sa-0',
        audience: 'https://wrong.example',
      });
      const result = await runLikeKubelet({
        command: [...providerCommand(cloud), ...exec.args],
        ...exec.run,
        serviceAccountToken: token,
      });
      expect(result.exitCode).toBe(ERROR_KINDS.token);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toContain(token);
      expect(result.stderr).not.toContain(token.split('.')[2]);
    });
  },
);

describe('other targets and back-ends', () => {
  const example = join(ROOT, 'examples', 'static.ts');
  const qemu = ['/usr/bin/qemu-aarch64', '/usr/aarch64-linux-gnu'];
  // `npm test` installs both (scripts/setup.sh --system) or stops before the run saying so.
  const QEMU_MISSING = 'qemu-user and libc6-arm64-cross: sh scripts/setup.sh --system installs them';

  it('linux-arm64 and windows-x64 build offline from npm runtimes; arm64 runs under qemu', async () => {
    const arm = await credkitBuild(example, '-o', join(work, 'arm64', 'static-provider'), '--target', 'linux-arm64');
    expect(arm.stderr).toBe('');
    const windows = await credkitBuild(
      example,
      '-o',
      join(work, 'windows', 'static-provider'),
      '--target',
      'windows-x64',
    );
    expect(windows.stderr).toBe('');
    expect(executableFormat(join(work, 'arm64', 'static-provider'))).toEqual(TARGET_FORMATS['linux-arm64']);
    // Windows executables need .exe; the build adds it.
    expect(executableFormat(join(work, 'windows', 'static-provider.exe'))).toEqual(TARGET_FORMATS['windows-x64']);
    expect(
      qemu.filter((path) => !existsSync(path)),
      QEMU_MISSING,
    ).toEqual([]);
    const result = await runLikeKubelet({
      command: [qemu[0] as string, '-L', qemu[1] as string, join(work, 'arm64', 'static-provider')],
      env: STATIC_ENV,
      image: 'registry.example.com/team/app',
    });
    expect(result.stderr).toBe('');
    expect(result.verdict).toMatchObject({ valid: true, matchingKeys: ['registry.example.com'] });
  }, 180_000);

  it('linux-arm64 credkit-ecr exchanges a service account token with the real AWS SDK under qemu', async () => {
    const binary = join(work, 'arm64', 'credkit-ecr');
    const spec = ADAPTER_BINARIES.find((candidate) => candidate.name === 'credkit-ecr')!;
    await build({ entry: prepareEntry(spec), outfile: binary, target: 'linux-arm64', wrap: spec.wrap });
    expect(executableFormat(binary)).toEqual(TARGET_FORMATS['linux-arm64']);
    expect(
      qemu.filter((path) => !existsSync(path)),
      QEMU_MISSING,
    ).toEqual([]);
    const scenario = await startScenario('ecr', 1);
    try {
      const exec = await scenario.serviceAccount(0);
      const result = await runLikeKubelet({
        command: [qemu[0] as string, '-L', qemu[1] as string, binary, ...exec.args],
        ...exec.run,
      });
      expect(result.stderr).toBe('');
      expect(result.verdict.valid).toBe(true);
      expect(carriesIdentity(scenario, exec, Object.values(result.response?.auth ?? {})[0]?.password)).toBe(true);
    } finally {
      await scenario.world.close();
    }
  }, 180_000);

  it('--backend node-sea: a valid answer and no SEA warning on stderr', async () => {
    const binary = join(work, 'sea', 'static-provider');
    const built = await credkitBuild(example, '-o', binary, '--backend', 'node-sea');
    expect(built.stderr).toBe('');
    expect(built.stdout).toContain('(linux-x64, node-sea,');
    const result = await runLikeKubelet({ command: [binary], env: STATIC_ENV, image: 'registry.example.com/team/app' });
    expect(result.stderr).toBe('');
    expect(result.verdict).toMatchObject({ valid: true, matchingKeys: ['registry.example.com'] });
  }, 180_000);
});

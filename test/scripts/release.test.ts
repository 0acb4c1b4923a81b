/**
 * The release as users download it (scripts/release.ts, `npm run release`): SHA256SUMS verifies with
 * sha256sum, each archive unpacks to the binary, LICENSE, README and an example kubelet config the
 * kubelet loads, the binary answers the fake kubelet with a valid credential from its fake cloud
 * (linux-arm64 under qemu; the Windows executable, which cannot run here, by its PE header), and
 * each archive's SBOM is valid CycloneDX naming the npm packages, with their versions, that binary
 * bundles and none that it does not.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { adapterNamed } from '../../adapters/index.ts';
import { BUN_PACKAGES } from '../../cli/build/runtimes.ts';
import { decodeCredentialProviderConfig, validateCredentialProviderConfig } from '../../core/config.ts';
import { carriesIdentity, runLikeKubelet, type Scenario } from '../../core/testing/index.ts';
import { RELEASED, ROOT } from '../../scripts/binaries.ts';
import { type ReleasedArchive, readRelease, writeRelease } from '../../scripts/release.ts';
import { startScenario } from '../../testing/scenarios.ts';
import { executableFormat, TARGET_FORMATS } from '../support/executable.ts';

const exec = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const QEMU = ['/usr/bin/qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'];

/** What each released binary must bundle (its SDKs and the core's libraries) and must not. */
const BUNDLES: Record<string, { bundles: string[]; never: string[] }> = {
  'credkit-ecr': {
    // aws4fetch signs STS and ECR; @smithy/signature-v4 comes with the SDK's credential chain.
    bundles: [
      '@aws-sdk/credential-providers',
      '@smithy/signature-v4',
      'aws4fetch',
      '@aws-sdk/xml-builder',
      'zod',
      'jose',
    ],
    // The SDK clients are in the lockfile (the fakes' tests use them) but not in the binary.
    never: ['@aws-sdk/client-ecr', '@aws-sdk/client-sts', '@azure/identity', 'google-auth-library'],
  },
  'credkit-acr': {
    // @azure/identity for managed identity sources other than IMDS, in a chunk of its own.
    bundles: ['zod', 'jose', 'https-proxy-agent', '@azure/identity'],
    never: ['@aws-sdk/client-sts', '@aws-sdk/client-ecr', 'google-auth-library'],
  },
  'credkit-gar': {
    bundles: ['zod', 'jose', 'https-proxy-agent'],
    never: ['@aws-sdk/client-sts', '@aws-sdk/client-ecr', '@azure/identity', 'google-auth-library'],
  },
  'credkit-quay': {
    bundles: ['zod', 'jose', 'https-proxy-agent'],
    never: ['@aws-sdk/client-sts', '@aws-sdk/client-ecr', '@azure/identity', 'google-auth-library'],
  },
  // Every adapter in one executable: the union of theirs, still without the SDK clients.
  'credkit-node': {
    bundles: [
      '@aws-sdk/credential-providers',
      '@smithy/signature-v4',
      'zod',
      'jose',
      'https-proxy-agent',
      '@azure/identity',
    ],
    never: ['@aws-sdk/client-ecr', '@aws-sdk/client-sts', 'google-auth-library'],
  },
};

let outDir: string;
let released: ReleasedArchive[];

// CREDKIT_RELEASE_DIR=dist/release checks a release `npm run release` already made (the release
// workflow checks the files it publishes); otherwise the suite makes a whole release of its own.
beforeAll(async () => {
  const existing = process.env.CREDKIT_RELEASE_DIR;
  outDir = existing ?? mkdtempSync(join(tmpdir(), 'credkit-release-'));
  released = existing ? readRelease(existing) : await writeRelease({ outDir });
}, 900_000);

// About 1.5 GB of archives and unpacked binaries: gone when the file is done.
afterAll(async () => {
  const dirs = await Promise.all(unpacked.values());
  for (const dir of dirs) rmSync(dirname(dir), { recursive: true, force: true });
  if (!process.env.CREDKIT_RELEASE_DIR) rmSync(outDir, { recursive: true, force: true });
});

describe('npm run release', () => {
  it('makes one archive and one SBOM per released binary and target', () => {
    const expected = RELEASED.flatMap((spec) =>
      (spec.targets ?? ['linux-x64', 'linux-arm64', 'windows-x64']).map((target) => `${spec.name} ${target}`),
    );
    expect(released.map((entry) => `${entry.binary} ${entry.target}`).sort()).toEqual(expected.sort());
    const files = readdirSync(outDir).sort();
    expect(files).toEqual(
      [...released.flatMap((entry) => [basename(entry.archive), basename(entry.sbom)]), 'SHA256SUMS'].sort(),
    );
    for (const entry of released) {
      expect(basename(entry.archive)).toMatch(
        new RegExp(
          `^${entry.binary}_${VERSION.replaceAll('.', '\\.')}_(linux_amd64|linux_arm64|windows_amd64)\\.(tar\\.gz|zip)$`,
        ),
      );
    }
  });

  it('SHA256SUMS verifies with sha256sum -c, and covers every file', async () => {
    const { stdout } = await exec('sha256sum', ['-c', 'SHA256SUMS'], { cwd: outDir });
    const verified = stdout.trim().split('\n');
    expect(verified.every((line) => line.endsWith(': OK'))).toBe(true);
    expect(verified).toHaveLength(readdirSync(outDir).length - 1);
  });
});

const unpacked = new Map<string, Promise<string>>();
/** Each archive is unpacked once, into its own directory; returns its top directory. */
function unpack(archive: string): Promise<string> {
  let dir = unpacked.get(archive);
  if (!dir) {
    dir = unpackOnce(archive);
    unpacked.set(archive, dir);
  }
  return dir;
}

async function unpackOnce(archive: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'credkit-unpacked-'));
  if (archive.endsWith('.zip')) await exec('unzip', ['-q', archive, '-d', dir]);
  else await exec('tar', ['-xzf', archive, '-C', dir]);
  const [top, ...more] = readdirSync(dir);
  expect(more).toEqual([]);
  expect(`${top}.${archive.endsWith('.zip') ? 'zip' : 'tar.gz'}`).toBe(basename(archive));
  return join(dir, top as string);
}

describe('each archive', () => {
  const scenarios: Scenario[] = [];
  afterAll(async () => {
    await Promise.all(scenarios.map((scenario) => scenario.world.close()));
  });

  // The table is the release itself, known only once it is built: one case per archive.
  const cases = RELEASED.flatMap((spec) =>
    (spec.targets ?? (['linux-x64', 'linux-arm64', 'windows-x64'] as const)).map((target) => ({
      name: `${spec.name} ${target}`,
      binary: spec.name,
      adapters: spec.release?.adapters ?? [],
      links: target.startsWith('windows-') ? [] : (spec.release?.links ?? []),
      target,
    })),
  );

  it.each(cases)(
    '$name: binary, LICENSE, README, a kubelet config the kubelet loads',
    async ({ binary, adapters, links, target }) => {
      const entry = released.find((candidate) => candidate.binary === binary && candidate.target === target);
      const dir = await unpack(entry?.archive as string);
      const executable = target.startsWith('windows-') ? `${binary}.exe` : binary;
      expect(readdirSync(dir).sort()).toEqual(
        [executable, ...links, 'LICENSE', 'README.md', 'credential-provider-config.yaml'].sort(),
      );
      for (const link of links) expect(readlinkSync(join(dir, link))).toBe(binary);
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(`# ${binary} ${VERSION} (${target})`);
      const { providers } = decodeCredentialProviderConfig(
        readFileSync(join(dir, 'credential-provider-config.yaml'), 'utf8'),
      );
      expect(validateCredentialProviderConfig(providers)).toEqual([]);
      // One entry per adapter, named after the file that runs it: the binary, or its link.
      const names = adapters.length === 1 ? [binary] : adapters.map((adapter) => adapterNamed(adapter)?.binary);
      expect(providers.map((provider) => provider.name)).toEqual(names);
      expect(executableFormat(join(dir, executable))).toEqual(TARGET_FORMATS[target]);
      if (!target.startsWith('windows-')) expect(statSync(join(dir, executable)).mode & 0o777).toBe(0o755);
    },
    60_000,
  );

  // Each Linux archive once per adapter it serves; a multi-adapter binary through that adapter's link.
  const runnable = cases
    .filter((c) => !c.target.startsWith('windows-'))
    .flatMap((c) =>
      c.adapters.map((adapter) => {
        const invokedAs = c.adapters.length === 1 ? c.binary : (adapterNamed(adapter)?.binary as string);
        return { ...c, name: `${c.name} as ${invokedAs}`, adapter, invokedAs };
      }),
    );
  it.each(runnable)(
    '$name: the unpacked binary exchanges a service account token as the kubelet runs it',
    async ({ binary, adapter, invokedAs, target }) => {
      const entry = released.find((candidate) => candidate.binary === binary && candidate.target === target);
      const file = join(await unpack(entry?.archive as string), invokedAs);
      const scenario = await startScenario(adapter, 1);
      scenarios.push(scenario);
      const run = await scenario.serviceAccount(0);
      const command = target === 'linux-arm64' ? [...QEMU, file] : [file];
      expect(existsSync(command[0] as string)).toBe(true);
      const result = await runLikeKubelet({ command: [...command, ...run.args], ...run.run });
      expect(result.stderr).toBe('');
      expect(result.verdict.valid).toBe(true);
      const password = Object.values(result.response?.auth ?? {})[0]?.password;
      expect(carriesIdentity(scenario, run, password)).toBe(true);
    },
    120_000,
  );

  it.each(cases)('$name: its SBOM is valid CycloneDX and names what the binary bundles', async ({ binary, target }) => {
    const entry = released.find((candidate) => candidate.binary === binary && candidate.target === target);
    const text = readFileSync(entry?.sbom as string, 'utf8');
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(text)).toBeNull();
    const bom = JSON.parse(text) as {
      metadata: { component: { properties: { name: string; value: string }[] } };
      components: { name: string; group?: string; version: string }[];
    };
    expect(bom.metadata.component.properties).toContainEqual({
      name: 'credkit:archive',
      value: basename(entry?.archive as string),
    });
    const listed = new Map(bom.components.map((c) => [c.group ? `${c.group}/${c.name}` : c.name, c.version]));
    // Every released adapter needs its row: a new one cannot ship with an unchecked SBOM.
    const expectations = BUNDLES[binary] ?? { bundles: ['a row in BUNDLES'], never: [] };
    for (const name of expectations.bundles) {
      const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
      expect({ name, version: listed.get(name) }).toEqual({ name, version: installed });
    }
    for (const name of expectations.never) expect(listed.has(name), `${name} is not bundled`).toBe(false);
    const runtime = BUN_PACKAGES[target].name;
    const bunVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'bun', 'package.json'), 'utf8')).version;
    expect(listed.get(runtime)).toBe(bunVersion);
  });
});

describe('.github/workflows/release.yml', () => {
  const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8')) as {
    on: { push: { tags: string[] } };
    permissions: object;
    jobs: Record<
      string,
      {
        needs?: string;
        permissions: Record<string, string>;
        steps: { uses?: string; run?: string; with?: Record<string, unknown> }[];
      }
    >;
  };
  const steps = (job: string) => workflow.jobs[job]?.steps ?? [];
  const runs = (job: string) =>
    steps(job)
      .map((step) => step.run ?? '')
      .join('\n');
  const uses = (job: string) => steps(job).map((step) => step.uses ?? '');

  it('runs on a version tag, with no permissions unless a job asks', () => {
    expect(workflow.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+*']);
    expect(workflow.permissions).toEqual({});
  });

  it('tests, then releases the checked files with build provenance, then the image and the npm package', () => {
    expect(runs('test')).toContain('npm test');
    expect(workflow.jobs.release?.needs).toBe('test');
    expect(runs('release')).toContain('npm run release');
    expect(runs('release')).toContain(
      'CREDKIT_RELEASE_DIR="$PWD/dist/release" npx vitest run test/scripts/release.test.ts',
    );
    expect(steps('release')).toContainEqual(
      expect.objectContaining({
        uses: 'actions/attest-build-provenance@v2',
        with: { 'subject-checksums': 'dist/release/SHA256SUMS' },
      }),
    );
    expect(uses('image')).toContain('actions/attest-build-provenance@v2');
    expect(runs('npm')).toContain('npm publish --provenance');
    for (const job of ['release', 'image', 'npm']) expect(workflow.jobs[job]?.permissions['id-token']).toBe('write');
  });
});

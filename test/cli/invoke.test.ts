import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startFakeIssuer } from '../../core/testing/issuer.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../cli/credkit.ts', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/provider.ts', import.meta.url));
const PASSWORD = 'invoke-password-5d2e';

/** The fixture as an executable file, the way a binary sits in the kubelet's bin dir. */
function installFixture(dir: string, name = 'fixture-provider'): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${FIXTURE}" "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

const issuer = await startFakeIssuer();
const credkit = (...args: string[]) => credkitIn(process.cwd(), ...args);
const credkitIn = (cwd: string, ...args: string[]) =>
  run(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, FIXTURE_PASSWORD: PASSWORD } }).catch((e) => e);

describe('credkit invoke', () => {
  const bin = installFixture(mkdtempSync(join(tmpdir(), 'credkit-invoke-')));

  it('reports what the kubelet would do, without printing the credential', async () => {
    const token = await issuer.mint({ audience: 'fixture-audience', namespace: 'ns', serviceAccount: 'sa' });
    const { stdout } = await credkit(
      'invoke',
      bin,
      '--image',
      'registry.fixture.test/app',
      '--token',
      token,
      '--cache-type',
      'ServiceAccount',
      '--json',
    );
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      exitCode: 0,
      valid: true,
      cacheKey: 'registry.fixture.test',
      matchingKeys: ['registry.fixture.test'],
    });
    expect(report.auth[0]).toMatchObject({ key: 'registry.fixture.test', username: 'system:serviceaccount:ns:sa' });
    expect(stdout).not.toContain(PASSWORD);
    expect(stdout).not.toContain(token);
  });

  it('explains a rejection and exits 1', async () => {
    const token = await issuer.mint({ audience: 'wrong' });
    const result = await credkit('invoke', bin, '--image', 'registry.fixture.test/app', '--token', token);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('would REJECT this answer');
    expect(result.stdout).toContain('this provider expects fixture-audience');
    expect(result.stdout).not.toContain(token);
  });
});

describe('credkit doctor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'credkit-doctor-'));
  const binDir = join(dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  const config = (providers: object[]) => {
    const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      path,
      JSON.stringify({ apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig', providers }),
    );
    return path;
  };
  const provider = {
    name: 'fixture-provider',
    matchImages: ['*.fixture.test'],
    defaultCacheDuration: '0s',
    apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
    tokenAttributes: {
      serviceAccountTokenAudience: 'fixture-audience',
      cacheType: 'ServiceAccount',
      requireServiceAccount: false,
    },
  };

  it.each([
    {
      name: 'a missing binary',
      providers: [provider],
      install: false,
      image: 'registry.fixture.test/app',
      expect: /FAIL plugin binary executable .*fixture-provider did not exist/,
    },
    {
      name: 'an image no provider matches',
      providers: [provider],
      install: true,
      image: 'registry.fixture.test:5000/app',
      expect: /FAIL no provider's matchImages matches/,
    },
    {
      name: 'a config the kubelet refuses',
      providers: [{ ...provider, tokenAttributes: { ...provider.tokenAttributes, cacheType: undefined } }],
      install: true,
      image: 'registry.fixture.test/app',
      expect: /FAIL config: providers\.tokenAttributes\.cacheType: Required value/,
    },
  ])('finds $name', async ({ providers, install, image, expect: finding }) => {
    if (install) installFixture(binDir);
    const result = await credkit(
      'doctor',
      '--config',
      config(providers),
      '--bin-dir',
      install ? binDir : join(dir, 'empty'),
      '--image',
      image,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(finding);
  });

  it('runs the matching provider and finds it healthy', async () => {
    installFixture(binDir);
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, await issuer.mint({ audience: 'fixture-audience' }));
    const result = await credkit(
      'doctor',
      '--config',
      config([provider]),
      '--bin-dir',
      binDir,
      '--image',
      'registry.fixture.test/app',
      '--token-file',
      tokenFile,
      '--run',
    );
    expect(result.stdout).toMatch(/ok {3}run fixture-provider: answer accepted/);
    expect(result.stdout).not.toContain(PASSWORD);
    expect(result.code ?? 0).toBe(0);
  });

  it('accepts what credkit config writes, with --bin-dir . (relative)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'credkit-doctor-'));
    installFixture(work);
    const written = await credkitIn(work, 'config', FIXTURE, '--out-dir', '.');
    expect(written.stdout).toContain('wrote credential-provider.yaml');
    writeFileSync(join(work, 'token.jwt'), `${await issuer.mint({ audience: 'fixture-audience' })}\n`);
    const result = await credkitIn(
      work,
      'doctor',
      '--config',
      'credential-provider.yaml',
      '--bin-dir',
      '.',
      '--image',
      'registry.fixture.test/app',
      '--token-file',
      'token.jwt',
      '--run',
    );
    expect(result.stdout).toMatch(/^ok {3}config credential-provider\.yaml is valid: 1 provider\(s\)$/m);
    expect(result.stdout).toContain(`ok   binary ${join(work, 'fixture-provider')} is executable`);
    expect(result.stdout).toMatch(/^ok {3}run fixture-provider: answer accepted/m);
    expect(result.stdout).not.toMatch(/^FAIL/m);
    expect(result.code ?? 0).toBe(0);
  });

  it('a missing --token-file is one line, exit 2', async () => {
    const bin = installFixture(mkdtempSync(join(tmpdir(), 'credkit-invoke-')));
    const result = await credkit('invoke', bin, '--image', 'registry.fixture.test/app', '--token-file', '/nonexistent');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('credkit: cannot read --token-file /nonexistent: ENOENT\n');
  });
});

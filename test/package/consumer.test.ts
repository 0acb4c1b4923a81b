/**
 * credkit as a user receives it. The tarball `npm pack` makes is installed into a new project in a
 * temp dir, and the README's "Write your own provider" section runs there as written: its shell
 * lines one by one (the install line gets the tarball for `credkit`), its provider module, and the
 * vitest test docs/core.md gives for it. The commands see a fresh shell's environment: the Node
 * running this suite first on PATH, no node_modules/.bin of this repository, so a tool the README
 * does not install is not there. Everything is set up once (one pack, one install) in beforeAll.
 */
import { type ExecFileException, execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ADAPTERS } from '../../adapters/index.ts';
import { runtimeCacheDir } from '../../cli/build/runtimes.ts';
import { ROOT } from '../../scripts/binaries.ts';
import { executableFormat, TARGET_FORMATS } from '../support/executable.ts';

type Testing = typeof import('../../core/testing/index.ts');
type Config = typeof import('../../core/config.ts');

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
/** The versions this repository pins, so installs come from npm's cache. */
const PINNED: Record<string, string> = manifest.devDependencies;

interface Block {
  lang: string;
  code: string;
}

/** The fenced code blocks of the markdown section that starts with `heading`. */
function sectionBlocks(file: string, heading: string): Block[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${file} has no section ${heading}`);
  const level = heading.split(' ')[0] as string;
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1] as string,
    code: m[2] as string,
  }));
}

/** A file block starts with `// <name>`. */
function fileOf(block: Block): { name: string; code: string } {
  const name = /^\/\/ (\S+)\n/.exec(block.code)?.[1];
  if (!name) throw new Error(`a ${block.lang} block without a // <file> first line`);
  return { name, code: block.code };
}

const readme = sectionBlocks('README.md', '## Write your own provider');
const [setupBlock, commandBlock] = readme.filter((block) => block.lang === 'sh');
const providerFile = fileOf(readme.find((block) => block.lang === 'ts') as Block);
const testFile = fileOf(
  sectionBlocks('docs/core.md', '## Testing your provider').find((b) => b.lang === 'ts') as Block,
);
const lines = (block: Block | undefined) => (block?.code ?? '').split('\n').filter((line) => line.trim());

interface Ran {
  line: string;
  code: number;
  stdout: string;
  stderr: string;
}

/** The temp dir (made in beforeAll, removed in afterAll) and the new project in it. */
let work = '';
let project = '';

/**
 * What a new shell on this machine has: the system PATH with this Node first, HOME, the machine's
 * CA and proxy settings, npm's own config files; nothing of this repository (no node_modules/.bin).
 */
const SHELL_ENV = ['HOME', 'USER', 'LANG', 'TMPDIR', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'];
const PROXY_ENV = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'];
const NPM_ENV = ['npm_config_globalconfig', 'npm_config_userconfig', 'npm_config_cache', 'npm_config_registry'];
function freshEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !dir.includes('node_modules'));
  const inherited = Object.fromEntries(
    [...SHELL_ENV, ...PROXY_ENV, ...NPM_ENV].flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])),
  );
  return { ...inherited, PATH: [dirname(process.execPath), ...path].join(delimiter), ...extra };
}

function sh(line: string, env: NodeJS.ProcessEnv = freshEnv(), cwd = project): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', line], { cwd, env, maxBuffer: 16 << 20, timeout: 150_000 }, (error, stdout, stderr) => {
      const code = (error as ExecFileException | null)?.code;
      resolve({ line, code: error ? (typeof code === 'number' ? code : 127) : 0, stdout, stderr });
    });
  });
}

async function ok(line: string, env?: NodeJS.ProcessEnv): Promise<Ran> {
  const ran = await sh(line, env);
  if (ran.code !== 0)
    throw new Error(`${line} exited ${ran.code}: ${ran.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return ran;
}

/** Runs the installed bin under this Node with `preload` evaluated first (it fakes an older Node). */
function onNode(preload: string, args: string): Promise<Ran> {
  const file = join(work, `preload-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, preload);
  return sh(`node --import ${pathToFileURL(file).href} node_modules/.bin/credkit ${args}`);
}

/** The README's install line with the packed tarball for `credkit` and this repo's pins for the rest. */
function installLine(line: string, tarball: string): string {
  const command = line.replace(/\s+#.*$/, '');
  const words = command
    .split(/\s+/)
    .map((word) => (word === 'credkit' ? tarball : PINNED[word] ? `${word}@${PINNED[word]}` : word));
  return `${words.join(' ')} --prefer-offline --no-audit --no-fund --loglevel=error`;
}

function duBytes(dir: string): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile('du', ['-sb', dir], (error, stdout) => (error ? reject(error) : resolve(Number(stdout.split('\t')[0])))),
  );
}

const AUDIENCE = 'registry.example.com';
const IMAGE = 'registry.example.com/team/app';
const PASSWORD = 'consumer-password-7c1e9a';

const state: {
  tarball: string;
  tarballBytes: number;
  withoutBun: { version: Ran; build: Ran; seaBuild: Ran; bytes: number };
  commands: Ran[];
  testing: Testing;
  config: Config;
  world: Awaited<ReturnType<Testing['startFakeWorld']>>;
  exchanges: () => number;
  noStrip: Ran;
  noStripLeftovers: string[];
  token: string;
  seconds: number;
} = {} as never;

beforeAll(async () => {
  const started = performance.now();
  work = mkdtempSync(join(tmpdir(), 'credkit-consumer-'));
  project = join(work, 'my-project');
  // 1. The package as npm publishes it (prepack compiles dist/lib).
  const packed = await sh(`npm pack --pack-destination ${work} --silent`, freshEnv(), ROOT);
  if (packed.code !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  state.tarball = join(work, packed.stdout.trim().split('\n').pop() as string);
  state.tarballBytes = readFileSync(state.tarball).length;

  // 2. A new project, as the README starts it; credkit alone first, as a library user installs it.
  mkdirSync(project);
  const [initLine, ...installLines] = lines(setupBlock);
  await ok(initLine as string);
  await ok(installLine('npm i -D credkit', state.tarball));
  writeFileSync(join(project, providerFile.name), providerFile.code);
  state.withoutBun = {
    version: await sh('npx credkit --version'),
    build: await sh(`npx credkit build ${providerFile.name} -o no-bun`),
    seaBuild: await sh(`npx credkit build ${providerFile.name} -o no-sea --backend node-sea`),
    bytes: await duBytes(join(project, 'node_modules')),
  };

  // 3. The README's install line (bun for builds). A Node without type stripping (22.0-22.17)
  //    then loads the module through bun, the one bundler the README installs.
  for (const line of installLines) await ok(installLine(line, state.tarball));
  state.noStrip = await onNode(
    "Object.defineProperty(process.features, 'typescript', { value: false });",
    `config ${providerFile.name}`,
  );
  state.noStripLeftovers = readdirSync(project).filter((file) => file.includes('.credkit-'));

  // 4. A fake registry.example.com from the installed credkit/testing, and a token for the README's token.jwt.
  const require = createRequire(join(project, 'package.json'));
  state.testing = (await import(pathToFileURL(require.resolve('credkit/testing')).href)) as Testing;
  state.config = (await import(pathToFileURL(require.resolve('credkit/config')).href)) as Config;
  state.world = await state.testing.startFakeWorld();
  const exchange = await state.world.serve(['registry.example.com'], async (req) => {
    const claims = await state.world.issuer
      .verify(JSON.parse(req.body).token, { audience: AUDIENCE })
      .catch(() => null);
    if (!claims) return { status: 403, body: { error: 'token refused' } };
    return {
      body: { username: 'robot', password: PASSWORD, expires_at: new Date(Date.now() + 3600_000).toISOString() },
    };
  });
  state.exchanges = () => exchange.calls();
  state.token = await state.world.issuer.mint({ audience: AUDIENCE, namespace: 'team', serviceAccount: 'app' });
  writeFileSync(join(project, 'token.jwt'), `${state.token}\n`);

  // 5. The README's commands, in order. invoke and doctor run the provider: it reaches the fake
  //    through the world's proxy (HTTPS_PROXY, NODE_EXTRA_CA_CERTS), as on a proxied node.
  state.commands = [];
  for (const line of lines(commandBlock)) {
    const runsProvider = /credkit (invoke|doctor)/.test(line);
    state.commands.push(await sh(line, runsProvider ? freshEnv(state.world.env) : freshEnv()));
  }
  // 6. vitest, for the test docs/core.md writes.
  await ok(installLine('npm i -D vitest', state.tarball));
  state.seconds = (performance.now() - started) / 1000;
}, 420_000);

afterAll(async () => {
  await state.world?.close();
  // The project holds bun and four ~110 MB binaries: leave nothing behind in the temp dir.
  if (work) rmSync(work, { recursive: true, force: true });
  process.stdout.write(
    `[consumer] tarball ${(state.tarballBytes / 1024).toFixed(0)} kB; node_modules with credkit alone ${(
      (state.withoutBun?.bytes ?? 0) / 2 ** 20
    ).toFixed(1)} MiB; set-up and README commands ${state.seconds?.toFixed(0)} s\n`,
  );
});

const command = (pattern: RegExp): Ran => {
  const ran = state.commands.find((c) => pattern.test(c.line));
  if (!ran) throw new Error(`the README has no command matching ${pattern}`);
  return ran;
};

describe('the packed package in a new project', () => {
  it('the tarball carries the compiled library and its docs, not the TypeScript sources or tests', async () => {
    const listing = await sh(`tar -tzf ${state.tarball}`, freshEnv(), work);
    const files = listing.stdout.trim().split('\n');
    expect(files).toEqual(
      expect.arrayContaining(['package/dist/lib/cli/credkit.js', 'package/LICENSE', 'package/README.md']),
    );
    expect(files.filter((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => file.includes('/test/'))).toEqual([]);
  });

  it.each(ADAPTERS.map((adapter) => ({ name: adapter.name })))(
    'credkit/$name and credkit/$name/fake resolve through the one "./*" export, with their types',
    async ({ name }) => {
      const resolve = createRequire(join(project, 'package.json')).resolve;
      const entry = resolve(`credkit/${name}`);
      const module = (await import(pathToFileURL(entry).href)) as { adapter?: { name: string } };
      expect(module.adapter?.name).toBe(name);
      const fake = resolve(`credkit/${name}/fake`);
      for (const file of [entry, fake]) expect(existsSync(file.replace(/\.js$/, '.d.ts')), file).toBe(true);
    },
  );

  it('npm publish --dry-run: no warning about the package', async () => {
    // dist/lib is fresh from the pack above; the one warning left is the registry login a dry run skips.
    const ran = await sh('npm publish --dry-run --ignore-scripts', freshEnv(), ROOT);
    expect(ran.code).toBe(0);
    const warnings = ran.stderr.split('\n').filter((line) => line.startsWith('npm warn'));
    expect(warnings.filter((line) => !/requires you to be logged in/.test(line))).toEqual([]);
  });

  it('the bin runs through npx and says its version', () => {
    expect(state.withoutBun.version).toMatchObject({ code: 0, stdout: `credkit ${manifest.version}\n`, stderr: '' });
  });

  it.each([
    {
      name: 'without bun',
      key: 'build' as const,
      line: 'credkit build: credkit build needs bun (an optional peer dependency): npm i -D bun\n',
    },
    {
      name: '--backend node-sea without esbuild and postject',
      key: 'seaBuild' as const,
      line: 'credkit build: credkit build --backend node-sea needs esbuild and postject (optional peer dependencies): npm i -D esbuild postject\n',
    },
  ])('credkit build $name: one line naming the fix, exit 2, nothing written', ({ key, line }) => {
    expect(state.withoutBun[key]).toMatchObject({ code: 2, stdout: '', stderr: line });
    expect(readdirSync(project).filter((file) => file.startsWith('no-'))).toEqual([]);
  });
});

describe("the README's provider, built and run as the README says", () => {
  it.each([
    { target: 'linux-x64', file: 'my-registry-provider', format: TARGET_FORMATS['linux-x64'] },
    { target: 'linux-arm64', file: 'arm64/my-registry-provider', format: TARGET_FORMATS['linux-arm64'] },
    { target: 'windows-x64', file: 'windows/my-registry-provider.exe', format: TARGET_FORMATS['windows-x64'] },
  ])('credkit build --target $target: $file', ({ target, file, format }) => {
    const ran = command(new RegExp(`credkit build .*--target ${target}`));
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(new RegExp(`^built ${join(project, file)} \\(${target}, bun, [\\d.]+ MiB\\)`));
    expect(executableFormat(join(project, file))).toEqual(format);
  });

  it('the cross runtimes are cached in the user cache, not in node_modules', async () => {
    const bun = JSON.parse(readFileSync(join(project, 'node_modules', 'bun', 'package.json'), 'utf8')).version;
    const cache = runtimeCacheDir(freshEnv());
    for (const runtime of ['@oven+bun-linux-aarch64', '@oven+bun-windows-x64'])
      expect(existsSync(join(cache, `${runtime}@${bun}`)), `${runtime} in ${cache}`).toBe(true);
    expect((await sh('find node_modules -name "@oven+bun-*"')).stdout).toBe('');
  });

  it('credkit config > credential-provider.yaml: one document the kubelet loads as is', () => {
    expect(command(/credkit config .* > credential-provider\.yaml/)).toMatchObject({ code: 0, stderr: '' });
    const text = readFileSync(join(project, 'credential-provider.yaml'), 'utf8');
    expect(parseAllDocuments(text)).toHaveLength(1);
    const { providers } = state.config.decodeCredentialProviderConfig(text);
    expect(state.config.validateCredentialProviderConfig(providers)).toEqual([]);
    expect(providers).toEqual([
      expect.objectContaining({
        name: 'my-registry-provider',
        matchImages: ['registry.example.com'],
        tokenAttributes: expect.objectContaining({
          serviceAccountTokenAudience: AUDIENCE,
          optionalServiceAccountAnnotationKeys: ['example.com/robot'],
        }),
      }),
    ]);
  });

  it('credkit config --out-dir deploy: the config, rbac.yaml and trust.md', () => {
    expect(command(/credkit config .*--out-dir deploy/)).toMatchObject({ code: 0, stderr: '' });
    expect(readdirSync(join(project, 'deploy')).sort()).toEqual(['credential-provider.yaml', 'rbac.yaml', 'trust.md']);
    const rbac = parseAllDocuments(readFileSync(join(project, 'deploy', 'rbac.yaml'), 'utf8')).map((d) => d.toJS());
    expect(rbac.map((doc) => doc.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    expect(rbac[0].rules[0].resources).toEqual([AUDIENCE]);
  });

  it('credkit invoke with a credkit/testing token: the kubelet would use the answer; no secret printed', () => {
    const ran = command(/credkit invoke/);
    expect(ran.stdout).toContain('kubelet:      would use this answer');
    expect(ran.stdout).toContain('used for the image: registry.example.com');
    expect(ran.code).toBe(0);
    for (const secret of [PASSWORD, state.token]) expect(ran.stdout + ran.stderr).not.toContain(secret);
  });

  it('credkit doctor --run on what config wrote, --bin-dir .: every check passes', () => {
    const ran = command(/credkit doctor/);
    const findings = ran.stdout.trim().split('\n');
    expect(findings.filter((line) => !line.startsWith('ok '))).toEqual([]);
    expect(findings).toEqual(
      expect.arrayContaining([
        'ok   config credential-provider.yaml is valid: 1 provider(s)',
        `ok   token audience ["${AUDIENCE}"] includes ${AUDIENCE}`,
        expect.stringMatching(/^ok {3}run my-registry-provider: answer accepted/),
      ]),
    );
    expect(ran.code).toBe(0);
    expect(state.exchanges()).toBeGreaterThanOrEqual(2); // invoke and doctor both traded the token
  });

  it('the linux-arm64 binary answers the fake kubelet under qemu', async () => {
    const sysroot = '/usr/aarch64-linux-gnu';
    const result = await state.testing.runLikeKubelet({
      command: ['qemu-aarch64', '-L', sysroot, join(project, 'arm64', 'my-registry-provider')],
      env: state.world.env,
      image: IMAGE,
      serviceAccountToken: state.token,
      cacheType: 'ServiceAccount',
    });
    expect(result.stderr).toBe('');
    expect(result.verdict).toMatchObject({ valid: true, matchingKeys: ['registry.example.com'] });
    expect(result.response?.auth?.['registry.example.com']?.password).toBe(PASSWORD);
  });

  it("docs/core.md's vitest test passes inside the project", async () => {
    writeFileSync(join(project, testFile.name), testFile.code);
    const ran = await sh(`npx vitest run ${testFile.name}`);
    expect(ran.stdout).toMatch(/Tests {2}2 passed \(2\)/);
    expect(ran.code).toBe(0);
  });
});

describe('the installed bin on other Nodes', () => {
  it('Node 20: one line naming the version it needs', async () => {
    const ran = await onNode(
      "Object.defineProperty(process, 'version', { value: 'v20.19.0' }); Object.defineProperty(process.versions, 'node', { value: '20.19.0' });",
      'config my-provider.ts',
    );
    expect(ran).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'credkit needs Node.js 22 or newer; this is Node.js v20.19.0: install a current Node.js LTS\n',
    });
  });

  it('Node 22.0-22.17 (no type stripping): config bundles the module with bun, leaving nothing behind', () => {
    expect(state.noStrip.stderr).toBe('');
    expect(state.noStrip.code).toBe(0);
    expect(state.noStrip.stdout).toBe(readFileSync(join(project, 'credential-provider.yaml'), 'utf8'));
    expect(state.noStripLeftovers).toEqual([]);
  });
});

describe('install scripts off (--ignore-scripts, pnpm, npm allowScripts)', () => {
  it("credkit build takes bun from its platform package when bun's postinstall did not run", async () => {
    // Undo what bun's postinstall did (it moves the platform package's binary over bin/bun.exe), so
    // the tree is as the tarballs ship it: bin/bun.exe a few lines of shell that fail.
    const linked = join(project, 'node_modules', 'bun', 'bin', 'bun.exe');
    const platform = join(project, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun');
    renameSync(linked, platform);
    writeFileSync(linked, '#!/bin/sh\necho "Error: Bun\'s postinstall script was not run." >&2\nexit 1\n', {
      mode: 0o755,
    });
    const ran = await sh(`npx credkit build ${providerFile.name} -o scripts-off/my-registry-provider`);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(executableFormat(join(project, 'scripts-off', 'my-registry-provider'))).toEqual(TARGET_FORMATS['linux-x64']);
  });
});

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runConfigCommand } from '../../cli/config.ts';
import { CLOUDS } from '../../cli/providers.ts';
import { decodeCredentialProviderConfig, validateCredentialProviderConfig } from '../../core/config.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../cli/credkit.ts', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/provider.ts', import.meta.url));
/** The bin itself, where its exit code and stderr are the point. */
const credkit = (...args: string[]) => run(process.execPath, [CLI, ...args]);
/** `credkit config ...` in this process (the bin only adds the version check and one-line errors). */
async function config(...args: string[]): Promise<{ stdout: string }> {
  let stdout = '';
  const code = await runConfigCommand(args, (text) => {
    stdout += text;
  });
  expect(code).toBe(0);
  return { stdout };
}

/** What the kubelet does with the file: one document, strictly decoded, then validated. */
function loadLikeKubelet(text: string) {
  const documents = parseAllDocuments(text);
  expect(documents).toHaveLength(1);
  const providers = decodeCredentialProviderConfig(text).providers;
  expect(validateCredentialProviderConfig(providers)).toEqual([]);
  return providers;
}

const GAR_ARGS = [
  '--arg=--project-id=my-project',
  '--arg=--identity-provider=https://container.googleapis.com/v1/projects/my-project/locations/us-central1/clusters/c1',
];

describe('credkit config', () => {
  it.each([
    {
      name: 'the runtime settings a bun-built plugin wants',
      env: [],
      expected: [{ name: 'BUN_GC_TIMER_DISABLE', value: '1' }],
    },
    {
      name: 'an --env of the same name wins, others are added',
      env: ['--env=BUN_GC_TIMER_DISABLE=0', '--env=AWS_REGION=eu-west-1'],
      expected: [
        { name: 'BUN_GC_TIMER_DISABLE', value: '0' },
        { name: 'AWS_REGION', value: 'eu-west-1' },
      ],
    },
  ])('env: $name', async ({ env, expected }) => {
    const [provider] = loadLikeKubelet((await config('ecr', ...env)).stdout);
    expect(provider?.env).toEqual(expected);
  });

  it.each([
    { cloud: 'ecr', args: [], audience: 'sts.amazonaws.com', annotation: 'eks.amazonaws.com/ecr-role-arn' },
    {
      cloud: 'acr',
      args: [],
      audience: 'api://AzureADTokenExchange',
      annotation: 'kubernetes.azure.com/acr-client-id',
    },
    { cloud: 'gar', args: GAR_ARGS, audience: 'my-project.svc.id.goog', annotation: 'iam.gke.io/enable-wi-image-pull' },
  ])(
    '$cloud: one file the kubelet loads as is; --rbac for the same audience',
    async ({ cloud, args, audience, annotation }) => {
      expect(CLOUDS).toContain(cloud);
      const providers = loadLikeKubelet((await config(cloud, ...args)).stdout);
      expect(providers[0]?.name).toBe(`credkit-${cloud}`);
      expect(providers[0]?.tokenAttributes).toMatchObject({
        serviceAccountTokenAudience: audience,
        cacheType: 'ServiceAccount',
        requireServiceAccount: false,
      });
      expect(providers[0]?.tokenAttributes?.optionalServiceAccountAnnotationKeys).toContain(annotation);

      const [role, binding, ...rest] = parseAllDocuments((await config(cloud, ...args, '--rbac')).stdout).map((doc) =>
        doc.toJS(),
      );
      expect(rest).toEqual([]);
      expect(role.kind).toBe('ClusterRole');
      expect(role.rules[0]).toEqual({
        verbs: ['request-serviceaccounts-token-audience'],
        apiGroups: [''],
        resources: [audience],
      });
      expect(binding.kind).toBe('ClusterRoleBinding');
      expect(binding.subjects[0].name).toBe('system:nodes');
      expect(binding.roleRef.name).toBe(role.metadata.name);

      const { stdout: trust } = await config(cloud, ...args, '--trust');
      expect(trust.split('\n')[0]).toBe(`# Cloud-side trust for credkit-${cloud} (token audience ${audience})`);
      expect(trust).toContain(annotation.split('/')[0]);
    },
  );

  it('--out-dir writes the three files, each as --rbac, --trust and the default print it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'credkit-config-')), 'out');
    const { stdout } = await config('ecr', '--out-dir', dir);
    expect(readdirSync(dir).sort()).toEqual(['credential-provider.yaml', 'rbac.yaml', 'trust.md']);
    expect(stdout.trim().split('\n')).toEqual([
      `wrote ${join(dir, 'credential-provider.yaml')} (the kubelet's --image-credential-provider-config)`,
      `wrote ${join(dir, 'rbac.yaml')} (kubectl apply -f)`,
      `wrote ${join(dir, 'trust.md')} (the cloud-side steps)`,
    ]);
    const read = (file: string) => readFileSync(join(dir, file), 'utf8');
    expect(read('credential-provider.yaml')).toBe((await config('ecr')).stdout);
    expect(read('rbac.yaml')).toBe((await config('ecr', '--rbac')).stdout);
    expect(read('trust.md')).toBe((await config('ecr', '--trust')).stdout);
  });

  it('--token-audience moves the config and the RBAC together', async () => {
    const [provider] = loadLikeKubelet((await config('ecr', '--token-audience=custom-aud')).stdout);
    expect(provider?.tokenAttributes?.serviceAccountTokenAudience).toBe('custom-aud');
    const [role] = parseAllDocuments((await config('ecr', '--token-audience=custom-aud', '--rbac')).stdout);
    expect(role?.toJS().rules[0].resources).toEqual(['custom-aud']);
  });

  it.each([
    { cloud: 'acr', args: ['/etc/kubernetes/azure.json'] },
    { cloud: 'gar', args: ['get-credentials'] },
  ])('$cloud: the upstream default args', async ({ cloud, args }) => {
    expect(loadLikeKubelet((await config(cloud)).stdout)[0]?.args).toEqual(args);
  });

  it.each([
    { name: 'the default host', args: [], matchImages: ['quay.io'], audience: 'quay.io' },
    {
      name: 'the hosts --registry names',
      args: ['--arg=--registry=quay.example.com:8443', '--arg=--registry=quay.io'],
      matchImages: ['quay.example.com:8443', 'quay.io'],
      audience: 'quay.example.com',
    },
  ])('quay: matchImages and the audience follow $name', async ({ args, matchImages, audience }) => {
    const [provider] = loadLikeKubelet((await config('quay', ...args)).stdout);
    expect(provider?.matchImages).toEqual(matchImages);
    expect(provider?.tokenAttributes?.serviceAccountTokenAudience).toBe(audience);
  });

  it('--node-only drops tokenAttributes; --out-dir then writes the config alone', async () => {
    expect(loadLikeKubelet((await config('ecr', '--node-only')).stdout)[0]?.tokenAttributes).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'credkit-config-'));
    await config('ecr', '--node-only', '--out-dir', dir);
    expect(readdirSync(dir)).toEqual(['credential-provider.yaml']);
  });

  it('takes a module made with the kit', async () => {
    const [provider] = loadLikeKubelet((await config(FIXTURE)).stdout);
    expect(provider).toMatchObject({
      name: 'fixture-provider',
      tokenAttributes: { serviceAccountTokenAudience: 'fixture-audience' },
    });
  });

  it.each([
    { name: 'unknown command', args: ['bogus'], line: 'credkit: unknown command "bogus": see credkit --help' },
    {
      name: 'missing provider',
      args: ['config'],
      line: 'credkit: credkit config needs a provider: ecr, acr, gar, quay or a module path',
    },
    {
      name: 'module without a provider',
      args: ['config', fileURLToPath(new URL('../../cli/trust.ts', import.meta.url))],
      line: /has no default export made with defineProvider\(\)/,
    },
    {
      name: 'unknown flag',
      args: ['config', 'ecr', '--only', 'rbac'],
      line: "credkit: Unknown option '--only': see credkit config --help",
    },
    {
      name: 'two outputs at once',
      args: ['config', 'ecr', '--rbac', '--trust'],
      line: 'credkit: give one of --rbac, --trust and --out-dir',
    },
    {
      name: 'RBAC for a provider that takes no token',
      args: ['config', 'ecr', '--node-only', '--rbac'],
      line: 'credkit: --rbac: credkit-ecr takes no service account token, so it needs no RBAC or trust',
    },
  ])('$name → one line, exit 2', async ({ args, line }) => {
    const error = await credkit(...args).catch((e) => e);
    expect(error.code).toBe(2);
    expect(error.stderr.trim().split('\n')).toHaveLength(1);
    expect(error.stderr.trim()).toMatch(line);
  });
});

describe('every command renders its help from its declared flags', () => {
  it.each([
    { command: 'build', flags: ['-o, --outfile=FILE', '--target=TARGET', '--backend=BACKEND'] },
    { command: 'config', flags: ['--rbac', '--trust', '--out-dir=DIR', '--arg=ARG', '--node-only'] },
    { command: 'invoke', flags: ['--image=IMAGE', '--token-file=FILE', '--annotation=KEY=VALUE', '--json'] },
    { command: 'doctor', flags: ['--config=PATH', '--bin-dir=DIR', '--image=IMAGE', '--run'] },
  ])('credkit $command --help', async ({ command, flags }) => {
    const { stdout } = await credkit(command, '--help');
    expect(stdout.split('\n')[0]).toMatch(new RegExp(`^usage: credkit ${command} `));
    const listed = stdout
      .split('\n')
      .filter((line) => /^ {2}-/.test(line))
      .map((line) => line.trim().split(/\s{2,}/)[0]);
    expect(listed).toEqual(expect.arrayContaining([...flags, '-h, --help']));
  });
});

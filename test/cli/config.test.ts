import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CLOUDS } from '../../cli/providers.ts';
import { decodeCredentialProviderConfig, validateCredentialProviderConfig } from '../../core/config.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../cli/credkit.ts', import.meta.url));
const credkit = (...args: string[]) => run(process.execPath, [CLI, ...args]);

describe('credkit config', () => {
  it.each([
    { cloud: 'ecr', args: [], audience: 'sts.amazonaws.com', annotation: 'eks.amazonaws.com/ecr-role-arn' },
    {
      cloud: 'acr',
      args: [],
      audience: 'api://AzureADTokenExchange',
      annotation: 'kubernetes.azure.com/acr-client-id',
    },
    {
      cloud: 'gar',
      args: [
        '--arg=--project-id=my-project',
        '--arg=--identity-provider=https://container.googleapis.com/v1/projects/my-project/locations/us-central1/clusters/c1',
      ],
      audience: 'my-project.svc.id.goog',
      annotation: 'iam.gke.io/enable-wi-image-pull',
    },
  ])(
    '$cloud: a config the kubelet accepts, RBAC for the same audience',
    async ({ cloud, args, audience, annotation }) => {
      expect(CLOUDS).toContain(cloud);
      const { stdout } = await credkit('config', cloud, ...args);
      const docs = parseAllDocuments(stdout).map((doc) => doc.toJS());
      const [config, role, binding] = docs;
      const providers = decodeCredentialProviderConfig(JSON.stringify(config)).providers;
      expect(validateCredentialProviderConfig(providers)).toEqual([]);
      expect(providers[0]?.name).toBe(`credkit-${cloud}`);
      expect(providers[0]?.tokenAttributes).toMatchObject({
        serviceAccountTokenAudience: audience,
        cacheType: 'ServiceAccount',
        requireServiceAccount: false,
      });
      expect(providers[0]?.tokenAttributes?.optionalServiceAccountAnnotationKeys).toContain(annotation);
      expect(role.rules[0]).toEqual({
        verbs: ['request-serviceaccounts-token-audience'],
        apiGroups: [''],
        resources: [audience],
      });
      expect(binding.subjects[0].name).toBe('system:nodes');
      expect(binding.roleRef.name).toBe(role.metadata.name);
    },
  );

  it('--token-audience moves the config and the RBAC together', async () => {
    const { stdout } = await credkit('config', 'ecr', '--token-audience=custom-aud');
    const [config, role] = parseAllDocuments(stdout).map((doc) => doc.toJS());
    expect(config.providers[0].tokenAttributes.serviceAccountTokenAudience).toBe('custom-aud');
    expect(role.rules[0].resources).toEqual(['custom-aud']);
  });

  it.each([
    { cloud: 'acr', args: ['/etc/kubernetes/azure.json'] },
    { cloud: 'gar', args: ['get-credentials'] },
  ])('$cloud: the upstream default args', async ({ cloud, args }) => {
    const { stdout } = await credkit('config', cloud, '--only', 'config');
    expect(parseAllDocuments(stdout)[0]?.toJS().providers[0].args).toEqual(args);
  });

  it('--node-only drops tokenAttributes and RBAC', async () => {
    const { stdout } = await credkit('config', 'ecr', '--node-only');
    const docs = parseAllDocuments(stdout).map((doc) => doc.toJS());
    expect(docs).toHaveLength(1);
    expect(docs[0].providers[0].tokenAttributes).toBeUndefined();
  });

  it('takes a module made with the kit', async () => {
    const { stdout } = await credkit(
      'config',
      fileURLToPath(new URL('../fixtures/provider.ts', import.meta.url)),
      '--only',
      'config',
    );
    const config = parseAllDocuments(stdout)[0]?.toJS();
    expect(config.providers[0]).toMatchObject({
      name: 'fixture-provider',
      tokenAttributes: { serviceAccountTokenAudience: 'fixture-audience' },
    });
  });

  it.each([
    { name: 'unknown command', args: ['bogus'], line: 'credkit: unknown command "bogus": see credkit --help' },
    {
      name: 'missing provider',
      args: ['config'],
      line: 'credkit: credkit config needs a provider: ecr, acr, gar or a module path',
    },
    {
      name: 'module without a provider',
      args: ['config', fileURLToPath(new URL('../../cli/trust.ts', import.meta.url))],
      line: /has no default export made with defineProvider\(\)/,
    },
  ])('$name → one line, non-zero', async ({ args, line }) => {
    const error = await credkit(...args).catch((e) => e);
    expect(error.code).toBe(2);
    expect(error.stderr.trim().split('\n')).toHaveLength(1);
    expect(error.stderr.trim()).toMatch(line);
  });
});

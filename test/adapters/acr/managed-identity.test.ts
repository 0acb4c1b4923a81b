/**
 * The node's managed identity from every source @azure/identity knows besides a VM's IMDS (App
 * Service, Azure Arc with its challenge file, Machine Learning, Cloud Shell), end to end through
 * credkit-acr's binary against strict fakes of each endpoint (adapters/acr/fake/managed-identity.ts),
 * and which source an environment selects (as MSAL selects it). The Arc agent's key file must be in
 * /var/opt/azcmagent/tokens/: those execs run in a mount namespace that binds a temporary folder
 * there, so the host's /var/opt is never written.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAzure, type ManagedIdentityEndpointKind, startFakeAzure } from '../../../adapters/acr/fake/index.ts';
import { managedIdentitySource } from '../../../adapters/acr/node.ts';
import { ERROR_KINDS } from '../../../core/index.ts';
import { type FakeWorld, type KubeletResult, runLikeKubelet, startFakeWorld } from '../../../core/testing/index.ts';
import { providerCommand } from '../../support/commands.ts';

describe('managedIdentitySource: as MSAL picks it', () => {
  it.each([
    { name: 'nothing set: IMDS', env: {}, source: 'IMDS' },
    {
      name: 'App Service',
      env: { IDENTITY_ENDPOINT: 'http://127.0.0.1:1/msi', IDENTITY_HEADER: 'h' },
      source: 'AppService',
    },
    {
      name: 'Service Fabric (App Service variables plus a thumbprint)',
      env: { IDENTITY_ENDPOINT: 'https://x', IDENTITY_HEADER: 'h', IDENTITY_SERVER_THUMBPRINT: 't' },
      source: 'ServiceFabric',
    },
    {
      name: 'Machine Learning',
      env: { MSI_ENDPOINT: 'http://127.0.0.1:1/msi', MSI_SECRET: 's' },
      source: 'MachineLearning',
    },
    { name: 'Cloud Shell', env: { MSI_ENDPOINT: 'http://127.0.0.1:1/oauth2/token' }, source: 'CloudShell' },
    {
      name: 'Azure Arc by variables',
      env: { IDENTITY_ENDPOINT: 'http://127.0.0.1:40342/x', IMDS_ENDPOINT: 'http://127.0.0.1:40342' },
      source: 'AzureArc',
    },
    { name: 'IDENTITY_ENDPOINT alone: IMDS', env: { IDENTITY_ENDPOINT: 'http://127.0.0.1:1/x' }, source: 'IMDS' },
    { name: 'empty values count as unset', env: { MSI_ENDPOINT: '' }, source: 'IMDS' },
    {
      name: 'AZURE_POD_IDENTITY_AUTHORITY_HOST stays IMDS',
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:1' },
      source: 'IMDS',
    },
  ])('$name', ({ env, source }) => {
    expect(managedIdentitySource(env, () => false)).toBe(source);
  });

  it('the Arc agent installed (/opt/azcmagent/bin/himds), no variables: Azure Arc', () => {
    expect(managedIdentitySource({}, () => true)).toBe('AzureArc');
  });
});

const TENANT = '3b5a6d8e-0000-4000-8000-00000000aaaa';
const SYSTEM = '5a5a5a5a-0000-4000-8000-000000000005';
const USER = '6b6b6b6b-0000-4000-8000-000000000006';
const USER_RESOURCE =
  '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/node';
const REGISTRY = 'myacr.azurecr.io';
const SECRET = 'endpoint-secret-Zq8~5e7d1f0a9b';

interface Source {
  world: FakeWorld;
  azure: FakeAzure;
  dir: string;
  exec(options?: { id?: string; env?: Record<string, string>; verbosity?: number }): Promise<KubeletResult>;
}

async function startSource(kind: ManagedIdentityEndpointKind): Promise<Source> {
  const world = await startFakeWorld();
  const dir = mkdtempSync(join(tmpdir(), 'credkit-acr-mi-'));
  const tokensDir = join(dir, 'tokens');
  mkdirSync(tokensDir);
  const azure = await startFakeAzure(world, {
    registries: [{ loginServer: REGISTRY, pullers: [SYSTEM, USER] }],
    managedIdentities: [
      { clientId: SYSTEM, tenantId: TENANT, systemAssigned: true },
      { clientId: USER, tenantId: TENANT, resourceId: USER_RESOURCE },
    ],
    managedIdentityEndpoint: { kind, secret: SECRET, arcTokensDir: tokensDir },
  });
  // The Arc agent's folder, bound over /var/opt/azcmagent/tokens in the exec's own mount namespace.
  const arcNamespace = [
    'unshare',
    '--mount',
    '--',
    'sh',
    '-c',
    'mount -t tmpfs tmpfs /var/opt && mkdir -p /var/opt/azcmagent/tokens && mount --bind "$0" /var/opt/azcmagent/tokens && exec "$@"',
    tokensDir,
  ];
  let configs = 0;
  return {
    world,
    azure,
    dir,
    exec: async ({ id, env = {}, verbosity = 0 } = {}) => {
      const config = join(dir, `azure-${configs++}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          tenantId: TENANT,
          useManagedIdentityExtension: true,
          ...(id ? { userAssignedIdentityID: id } : {}),
        }),
      );
      return runLikeKubelet({
        command: [...(kind === 'AzureArc' ? arcNamespace : []), ...providerCommand('acr'), config, `--v=${verbosity}`],
        env: { ...world.env, ...azure.managedIdentityEndpoint?.env, ...env },
        image: `${REGISTRY}/team/app:1`,
      });
    },
  };
}

function issuedTo(source: Source, result: KubeletResult): string | undefined {
  expect(result.exitCode, result.stderr).toBe(0);
  const password = result.response?.auth?.[REGISTRY]?.password;
  return source.azure.registry(REGISTRY).issued.find((token) => token.refreshToken === password)?.clientId;
}

const KINDS: Array<{ kind: ManagedIdentityEndpointKind; userAssigned: boolean; calls: number }> = [
  { kind: 'AppService', userAssigned: true, calls: 1 },
  { kind: 'MachineLearning', userAssigned: true, calls: 1 },
  { kind: 'CloudShell', userAssigned: false, calls: 1 },
  // The challenge, then the request with the key file's secret.
  { kind: 'AzureArc', userAssigned: true, calls: 2 },
];

describe.each(KINDS)('$kind, end to end through the binary', ({ kind, userAssigned, calls }) => {
  let source: Source;
  beforeAll(async () => {
    source = await startSource(kind);
  }, 60_000);
  afterAll(async () => {
    await source?.world.close();
    if (source) rmSync(source.dir, { recursive: true, force: true });
  });

  it('the system-assigned identity: the endpoint, never IMDS, then one exchange', async () => {
    const endpoint = source.azure.managedIdentityEndpoint!;
    endpoint.resetCalls();
    source.azure.imds.resetCalls();
    const result = await source.exec({ verbosity: 10 });
    expect(issuedTo(source, result)).toBe(SYSTEM);
    expect(endpoint.calls('token')).toBe(calls);
    expect(source.azure.imds.calls()).toBe(0);
    expect(result.stderr).not.toContain(SECRET);
  });

  it.each(identityCases(kind, userAssigned))('$name', async ({ id, outcome }) => {
    const result = await source.exec({ id });
    if ('identity' in outcome) {
      expect(issuedTo(source, result)).toBe(outcome.identity);
      return;
    }
    expect(result.exitCode, result.stderr).toBe(ERROR_KINDS[outcome.kind]);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).toMatch(outcome.line);
  });
});

const UNKNOWN = '7c7c7c7c-0000-4000-8000-000000000007';

/** The user-assigned rows of a source: who answers, or the one line of the refusal. */
function identityCases(kind: ManagedIdentityEndpointKind, userAssigned: boolean) {
  type Outcome =
    | { identity: string; kind?: never; line?: never }
    | { identity?: never; kind: 'usage' | 'denied'; line: RegExp };
  const row = (name: string, id: string, outcome: Outcome) => ({ name, id, outcome });
  if (!userAssigned) {
    return [
      row('a user-assigned identity is a usage error (the shell picks its own)', USER, {
        kind: 'usage',
        line: new RegExp(
          `credkit-acr\\] the ${kind} managed identity cannot be chosen by userAssignedIdentityID \\(.*\\): remove it from azure\\.json\\n$`,
        ),
      }),
    ];
  }
  return [
    row('a user-assigned identity by client id', USER, { identity: USER }),
    // Machine Learning's 2017 API takes client ids only (MSAL refuses a resource id for it).
    ...(kind === 'MachineLearning'
      ? []
      : [row('a user-assigned identity by ARM resource id', USER_RESOURCE, { identity: USER })]),
    row('an identity the endpoint does not know: refused, one line', UNKNOWN, {
      kind: 'denied',
      line: new RegExp(
        `credkit-acr\\] the ${kind} managed identity endpoint refused a token for managed identity ${UNKNOWN}: invalid_request: Identity not found\\n$`,
      ),
    }),
  ];
}

describe('App Service: the endpoint secret and a dead endpoint', () => {
  let source: Source;
  beforeAll(async () => {
    source = await startSource('AppService');
  }, 60_000);
  afterAll(async () => {
    await source?.world.close();
    if (source) rmSync(source.dir, { recursive: true, force: true });
  });

  it('a wrong IDENTITY_HEADER is refused, and the header is never printed', async () => {
    const wrong = 'wrong-header-value-Zq8~0123';
    const result = await source.exec({ env: { IDENTITY_HEADER: wrong }, verbosity: 10 });
    expect(result.exitCode, result.stderr).toBe(ERROR_KINDS.denied);
    expect(result.stderr).not.toContain(wrong);
  });

  it('nothing listening at IDENTITY_ENDPOINT: unavailable, naming the endpoint', async () => {
    const result = await source.exec({ env: { IDENTITY_ENDPOINT: 'http://127.0.0.1:9/msi/token' } });
    expect(result.exitCode, result.stderr).toBe(ERROR_KINDS.unavailable);
    expect(result.stderr).toMatch(/AppService managed identity endpoint.*127\.0\.0\.1:9/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

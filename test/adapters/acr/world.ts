/**
 * One fake Azure for the ACR end-to-end tests: a fake world (CONNECT proxy, test CA, SA issuer),
 * Entra ID, IMDS and two registries, plus `exec()` that runs credkit-acr as the kubelet does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeAzure, startFakeAzure } from '../../../adapters/acr/fake/index.ts';
import { type FakeWorld, type KubeletResult, runLikeKubelet, startFakeWorld } from '../../../core/testing/index.ts';
import { providerCommand } from '../../support/commands.ts';

export const TENANT = '3b5a6d8e-0000-4000-8000-00000000aaaa';
export const OTHER_TENANT = '3b5a6d8e-0000-4000-8000-00000000bbbb';
export const KUBELET_IDENTITY = '9a1c0f3e-0000-4000-8000-000000000001';
export const APP_A = 'a0a0a0a0-0000-4000-8000-00000000000a';
export const APP_B = 'b0b0b0b0-0000-4000-8000-00000000000b';
export const SP_ID = 'c0c0c0c0-0000-4000-8000-00000000000c';
export const SP_SECRET = 'sp-secret-value-Zq8~not-a-real-one';
export const REGISTRY = 'myacr.azurecr.io';
export const GOV_REGISTRY = 'govacr.azurecr.us';
/** An Azure Stack Hub registry: the suffix comes from the environment file (`configs.azureStackEnvironment`). */
export const STACK_SUFFIX = 'azsacr.local.test';
export const STACK_REGISTRY = `myacr.${STACK_SUFFIX}`;
/** The registry of the AKS custom cloud config (test/dropin), suffix `azurecr.microsoft.fakecloud`. */
export const CUSTOM_CLOUD_REGISTRY = 'myacr.azurecr.microsoft.fakecloud';
export const AUDIENCE = 'api://AzureADTokenExchange';
/** AKS identity bindings: the endpoint's TLS name, and the managed identities bound to the cluster. */
export const IB_SNI = 'ib.credkit.test';
export const IB_AUDIENCE = 'api://AKSIdentityBinding';
export const IB_APP = 'e0e0e0e0-0000-4000-8000-00000000000e';
export const IB_DEFAULT = 'f0f0f0f0-0000-4000-8000-00000000000f';

export interface AcrWorld {
  world: FakeWorld;
  azure: FakeAzure;
  /** azure.json variants by name; `azureStackEnvironment` is the AZURE_ENVIRONMENT_FILEPATH file. */
  configs: Record<'managed' | 'servicePrincipal' | 'usGov' | 'azureStackEnvironment', string>;
  exec(options: ExecOptions): Promise<KubeletResult>;
  /** Runs the binary with exactly these args (no config file added). */
  execRaw(args: string[], image: string): Promise<KubeletResult>;
  writeConfig(content: unknown): Promise<string>;
  /** `--ib-sni-name`, `--ib-apiserver-ip` and `--ib-ca-file` for the fake identity-binding endpoint. */
  ibArgs: string[];
  mint(serviceAccount: string, overrides?: { audience?: string; expiresInSeconds?: number }): Promise<string>;
  resetCalls(): void;
  close(): Promise<void>;
}

export interface ExecOptions {
  image: string;
  config?: string;
  args?: string[];
  token?: string;
  annotations?: Record<string, string>;
  env?: Record<string, string>;
}

export function annotationsFor(clientId: string, tenantId = TENANT): Record<string, string> {
  return { 'kubernetes.azure.com/acr-client-id': clientId, 'kubernetes.azure.com/acr-tenant-id': tenantId };
}

export async function startAcrWorld(): Promise<AcrWorld> {
  const world = await startFakeWorld();
  const federated = (clientId: string, serviceAccount: string, tenantId = TENANT) => ({
    tenantId,
    clientId,
    issuer: world.issuer.issuer,
    subject: `system:serviceaccount:team:${serviceAccount}`,
  });
  const azure = await startFakeAzure(world, {
    authorityHosts: ['login.microsoftonline.com', 'login.microsoftonline.us', 'login.sovereign.test'],
    registries: [
      {
        loginServer: REGISTRY,
        geoReplicas: ['eastus'],
        pullers: [APP_A, APP_B, KUBELET_IDENTITY, SP_ID, IB_APP, IB_DEFAULT],
      },
      { loginServer: GOV_REGISTRY, pullers: [APP_A] },
      { loginServer: STACK_REGISTRY, pullers: [KUBELET_IDENTITY, SP_ID] },
      { loginServer: CUSTOM_CLOUD_REGISTRY, pullers: [KUBELET_IDENTITY] },
    ],
    federatedCredentials: [
      federated(APP_A, 'app-a'),
      federated(APP_B, 'app-b'),
      federated(APP_A, 'app-a-gov', OTHER_TENANT),
    ],
    managedIdentities: [
      {
        clientId: KUBELET_IDENTITY,
        tenantId: TENANT,
        resourceId:
          '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kubelet',
      },
    ],
    servicePrincipals: [{ tenantId: TENANT, clientId: SP_ID, clientSecret: SP_SECRET }],
    identityBindings: {
      sniName: IB_SNI,
      bindings: [
        {
          clientId: IB_APP,
          tenantId: TENANT,
          subjects: ['system:serviceaccount:team:app-ib', 'system:serviceaccount:team:app-a'],
        },
        {
          clientId: IB_DEFAULT,
          tenantId: OTHER_TENANT,
          subjects: ['system:serviceaccount:team:app-ib', 'system:serviceaccount:team:app-a'],
        },
      ],
    },
  });
  const ib = azure.identityBinding!;
  const dir = mkdtempSync(join(tmpdir(), 'credkit-acr-'));
  const write = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const configs = {
    managed: write('managed.json', {
      cloud: 'AzurePublicCloud',
      tenantId: TENANT,
      useManagedIdentityExtension: true,
      userAssignedIdentityID: KUBELET_IDENTITY,
    }),
    servicePrincipal: write('sp.json', { tenantId: TENANT, aadClientId: SP_ID, aadClientSecret: SP_SECRET }),
    usGov: write('usgov.json', {
      cloud: 'AzureUSGovernmentCloud',
      tenantId: TENANT,
      useManagedIdentityExtension: true,
    }),
    azureStackEnvironment: write('AzureStackCloud.json', {
      name: 'AzureStackCloud',
      activeDirectoryEndpoint: 'https://login.sovereign.test/',
      containerRegistryDNSSuffix: STACK_SUFFIX,
      resourceManagerEndpoint: 'https://management.local.test/',
    }),
  };
  const servers = () => [azure.entra, azure.imds, ib, ...azure.registries];
  return {
    world,
    azure,
    configs,
    exec: (options) =>
      runLikeKubelet({
        command: [...providerCommand('acr'), options.config ?? configs.managed, ...(options.args ?? [])],
        env: { ...world.env, ...(options.env ?? {}) },
        image: options.image,
        ...(options.token ? { serviceAccountToken: options.token, cacheType: 'ServiceAccount' as const } : {}),
        ...(options.annotations ? { serviceAccountAnnotations: options.annotations } : {}),
      }),
    execRaw: (args, image) => runLikeKubelet({ command: [...providerCommand('acr'), ...args], env: world.env, image }),
    writeConfig: async (content) => write(`config-${Math.random().toString(36).slice(2)}.json`, content),
    ibArgs: [`--ib-sni-name=${IB_SNI}`, `--ib-apiserver-ip=${ib.address}`, `--ib-ca-file=${ib.caFile}`],
    mint: (serviceAccount, overrides = {}) =>
      world.issuer.mint({
        namespace: 'team',
        serviceAccount,
        audience: overrides.audience ?? AUDIENCE,
        ...(overrides.expiresInSeconds !== undefined ? { expiresInSeconds: overrides.expiresInSeconds } : {}),
      }),
    resetCalls: () => {
      for (const server of servers()) {
        server.resetCalls();
        server.faults.clear();
      }
      for (const registry of azure.registries) registry.issued.length = 0;
      world.proxy.connects.length = 0;
      world.proxy.refused.length = 0;
    },
    close: async () => {
      await world.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

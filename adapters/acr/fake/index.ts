/**
 * The fake Azure for tests (re-exported from credkit/testing): Entra ID, IMDS and any number of
 * container registries, each behind its real host name in a fake world (CONNECT proxy + test CA),
 * each a FakeServer with call counts and fault injection (`fake.entra.faults.push('token', {status: 429})`).
 *
 *   const world = await startFakeWorld();
 *   const azure = await startFakeAzure(world, {
 *     registries: [{ loginServer: 'myacr.azurecr.io', pullers: ['app-client-id'] }],
 *     federatedCredentials: [{ tenantId, clientId: 'app-client-id', issuer: world.issuer.issuer,
 *       subject: 'system:serviceaccount:team:app' }],
 *     managedIdentities: [{ clientId: 'kubelet-id', tenantId }],
 *     identityBindings: { sniName: 'ib.cluster.test', bindings: [{ clientId: 'uami-id', tenantId,
 *       subjects: ['system:serviceaccount:team:app'] }] },   // --ib-apiserver-ip=<fake.identityBinding.address>
 *   });
 */
import type { FakeServer, FakeWorld } from '../../../core/testing/index.ts';
import { entraHandler, entraLabel, type FederatedCredentialSpec, type ServicePrincipalSpec } from './entra.ts';
import {
  type FakeIdentityBinding,
  type FakeIdentityBindingOptions,
  startFakeIdentityBinding,
} from './identity-binding.ts';
import { imdsHandler, imdsLabel, type ManagedIdentitySpec } from './imds.ts';
import {
  type FakeManagedIdentityEndpoint,
  type ManagedIdentityEndpointKind,
  startManagedIdentityEndpoint,
} from './managed-identity.ts';
import { type FakeRegistrySpec, type IssuedRefreshToken, registryHandler, registryLabel } from './registry.ts';
import { ACR_RESOURCE, createSigner, type Signer } from './tokens.ts';

export {
  type FakeIdentityBinding,
  type FakeIdentityBindingOptions,
  IDENTITY_BINDING_AUDIENCE,
  type IdentityBindingHandlerOptions,
  type IdentityBindingSpec,
  identityBindingHandler,
  startFakeIdentityBinding,
} from './identity-binding.ts';
export type {
  FakeManagedIdentityEndpoint,
  FakeRegistrySpec,
  FederatedCredentialSpec,
  IssuedRefreshToken,
  ManagedIdentityEndpointKind,
  ManagedIdentitySpec,
  ServicePrincipalSpec,
  Signer,
};

export interface FakeAzureOptions {
  /** Default `login.microsoftonline.com`; sovereign clouds use theirs (`login.microsoftonline.us`...). */
  authorityHosts?: string[];
  registries: Array<string | FakeRegistrySpec>;
  federatedCredentials?: FederatedCredentialSpec[];
  managedIdentities?: ManagedIdentitySpec[];
  servicePrincipals?: ServicePrincipalSpec[];
  tenants?: string[];
  /** An AKS identity-binding endpoint (on loopback, with its own cluster CA; not behind the proxy). */
  identityBindings?: FakeIdentityBindingOptions;
  /**
   * Serve `managedIdentities` from another source too (App Service, Arc, Machine Learning, Cloud
   * Shell), on loopback; its `env` selects it. `secret` is IDENTITY_HEADER or MSI_SECRET.
   */
  managedIdentityEndpoint?: { kind: ManagedIdentityEndpointKind; secret?: string; arcTokensDir?: string };
}

export interface FakeAcrRegistry extends FakeServer {
  loginServer: string;
  /** Refresh tokens this registry handed out, in order (for assertions; never print them). */
  issued: IssuedRefreshToken[];
}

export interface FakeAzure {
  entra: FakeServer;
  /** Plain HTTP, routed as 169.254.169.254:80 through the world's proxy. */
  imds: FakeServer;
  /** The other managed identity source, when asked for. */
  managedIdentityEndpoint?: FakeManagedIdentityEndpoint;
  registries: FakeAcrRegistry[];
  /** Present when `identityBindings` was given. */
  identityBinding?: FakeIdentityBinding;
  registry(loginServer: string): FakeAcrRegistry;
  /** Every call to every Azure endpoint, for "N round trips" assertions. */
  totalCalls(): number;
}

export async function startFakeAzure(world: FakeWorld, options: FakeAzureOptions): Promise<FakeAzure> {
  const entraSigner = await createSigner('https://sts.windows.net/');
  const servicePrincipals = options.servicePrincipals ?? [];
  const entra = await world.serve(
    options.authorityHosts ?? ['login.microsoftonline.com'],
    entraHandler({
      federatedCredentials: options.federatedCredentials ?? [],
      servicePrincipals,
      tenants: [...(options.tenants ?? []), ...(options.managedIdentities ?? []).map((m) => m.tenantId)],
      verifyAssertion: (token, audience) => world.issuer.verify(token, { audience }),
      signer: entraSigner,
    }),
    { name: 'entra', label: entraLabel },
  );
  const imds = await world.serve(['169.254.169.254:80'], imdsHandler(options.managedIdentities ?? [], entraSigner), {
    name: 'imds',
    label: imdsLabel,
    tls: false,
  });
  const managedIdentityEndpoint = options.managedIdentityEndpoint
    ? await startManagedIdentityEndpoint({
        ...options.managedIdentityEndpoint,
        identities: options.managedIdentities ?? [],
        signer: entraSigner,
      })
    : undefined;
  // Closed with the world, as the servers it started.
  if (managedIdentityEndpoint) world.servers.push(managedIdentityEndpoint);
  const registries: FakeAcrRegistry[] = [];
  for (const entry of options.registries) {
    const spec = typeof entry === 'string' ? { loginServer: entry } : entry;
    const [name, ...suffix] = spec.loginServer.split('.');
    const hosts = [
      spec.loginServer,
      ...(spec.geoReplicas ?? []).map((region) => [name, region, 'geo', ...suffix].join('.')),
    ];
    const issued: IssuedRefreshToken[] = [];
    const server = await world.serve(
      hosts,
      registryHandler({
        spec,
        verifyEntraToken: async (token) => ({ ...(await entraSigner.verify(token, ACR_RESOURCE)) }),
        servicePrincipals,
        signer: await createSigner('Azure Container Registry'),
        issued,
      }),
      { name: spec.loginServer, label: registryLabel },
    );
    registries.push(Object.assign(server, { loginServer: spec.loginServer, issued }));
  }
  const identityBinding = options.identityBindings
    ? await startFakeIdentityBinding({
        ...options.identityBindings,
        verifyAssertion: (token, audience) => world.issuer.verify(token, { audience }),
        signer: entraSigner,
      })
    : undefined;
  // Closed with the world, though the proxy never routes to it.
  if (identityBinding) world.servers.push(identityBinding);
  const all = [
    entra,
    imds,
    ...(managedIdentityEndpoint ? [managedIdentityEndpoint] : []),
    ...registries,
    ...(identityBinding ? [identityBinding] : []),
  ];
  return {
    entra,
    imds,
    ...(managedIdentityEndpoint ? { managedIdentityEndpoint } : {}),
    registries,
    ...(identityBinding ? { identityBinding } : {}),
    registry(loginServer) {
      const found = registries.find((r) => r.loginServer === loginServer);
      if (!found) throw new Error(`no fake registry ${loginServer}`);
      return found;
    },
    totalCalls: () => all.reduce((sum, server) => sum + server.calls(), 0),
  };
}

/**
 * credkit/testing: the fakes credkit tests itself with, for testing your own providers the same way:
 * the generic kit (test CA, token issuer, CONNECT proxy, fake kubelet) and the three fake clouds.
 * Not an adapter: it only gathers each adapter's fake next to the core kit.
 * @packageDocumentation
 */
export * from '../core/testing/index.ts';
export {
  type FakeAcrRegistry,
  type FakeAzure,
  type FakeAzureOptions,
  type FakeRegistrySpec,
  type FederatedCredentialSpec,
  type IssuedRefreshToken,
  type ManagedIdentitySpec,
  type ServicePrincipalSpec,
  startFakeAzure,
} from './acr/fake/index.ts';
export type { IssuedPassword } from './ecr/fake/iam.ts';
export {
  type AccessKey,
  awsJsonError,
  dnsSuffix,
  type FakeAws,
  type FakeAwsOptions,
  FakeIam,
  type RoleTrust,
  startFakeAws,
  stsError,
} from './ecr/fake/index.ts';
export {
  type FakeGoogleCloud,
  type FakeGoogleCloudOptions,
  type FakeWorkloadIdentityPool,
  type IssuedToken,
  principalFor,
  RESOURCE_EXHAUSTED,
  startFakeGoogleCloud,
  UNAVAILABLE,
} from './gar/fake/index.ts';
export type { Pull } from './gar/fake/registry.ts';

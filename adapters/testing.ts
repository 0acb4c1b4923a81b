/**
 * credkit/testing: the fakes credkit tests itself with, for testing your own providers the same way:
 * the generic kit (test CA, token issuer, CONNECT proxy, fake kubelet) and the three fake clouds.
 * Not an adapter: it only gathers each adapter's fake next to the core kit.
 * @packageDocumentation
 */
export * from '../core/testing/index.ts';
export { type FakeAws, type FakeAwsOptions, startFakeAws } from './ecr/fake.ts';
export { type FakeAzure, type FakeAzureOptions, startFakeAzure } from './acr/fake.ts';
export { type FakeGoogleCloud, type FakeGoogleCloudOptions, startFakeGoogleCloud } from './gar/fake.ts';

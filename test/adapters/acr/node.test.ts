/** The node leg's IMDS request shape, as upstream builds it. */
import { describe, expect, it } from 'vitest';
import { imdsTokenUrl } from '../../../adapters/acr/node.ts';

describe('IMDS request (upstream getManagedIdentityCredential)', () => {
  const base =
    'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fcontainerregistry.azure.net';
  it.each([
    { name: 'system-assigned', id: undefined, env: {}, url: base },
    { name: 'client id', id: 'test-client-id', env: {}, url: `${base}&client_id=test-client-id` },
    {
      name: 'ARM resource id (contains /SUBSCRIPTIONS/ in any case)',
      id: '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kubelet',
      env: {},
      url: `${base}&msi_res_id=%2Fsubscriptions%2Fs%2Fresourcegroups%2Frg%2Fproviders%2FMicrosoft.ManagedIdentity%2FuserAssignedIdentities%2Fkubelet`,
    },
    {
      name: 'AZURE_POD_IDENTITY_AUTHORITY_HOST moves the endpoint',
      id: undefined,
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:2579/' },
      url: base.replace('169.254.169.254', '127.0.0.1:2579'),
    },
  ])('$name', ({ id, env, url }) => {
    expect(imdsTokenUrl(env, id)).toBe(url);
  });
});

/**
 * The command line and environment: the Entra ID authority per cloud name, and the one variable
 * that moves it.
 */
import { describe, expect, it } from 'vitest';
import { authorityHost } from '../../../adapters/acr/config.ts';

describe('authorityHost', () => {
  it.each([
    { name: 'no cloud: public', cloud: undefined, env: {}, host: 'https://login.microsoftonline.com' },
    { name: 'AzurePublicCloud', cloud: 'AzurePublicCloud', env: {}, host: 'https://login.microsoftonline.com' },
    { name: 'AzureCloud, any case, padded', cloud: ' azurecloud ', env: {}, host: 'https://login.microsoftonline.com' },
    { name: 'AzureChinaCloud', cloud: 'AzureChinaCloud', env: {}, host: 'https://login.chinacloudapi.cn' },
    { name: 'AzureUSGovernment', cloud: 'AzureUSGovernment', env: {}, host: 'https://login.microsoftonline.us' },
    {
      name: 'AzureUSGovernmentCloud',
      cloud: 'AZUREUSGOVERNMENTCLOUD',
      env: {},
      host: 'https://login.microsoftonline.us',
    },
    {
      name: 'unknown name falls back to public, as upstream',
      cloud: 'MyCloud',
      env: {},
      host: 'https://login.microsoftonline.com',
    },
    {
      name: 'AZURE_AUTHORITY_HOST wins over the cloud name',
      cloud: 'AzureChinaCloud',
      env: { AZURE_AUTHORITY_HOST: 'https://login.example.internal/' },
      host: 'https://login.example.internal',
    },
  ])('$name', ({ cloud, env, host }) => {
    expect(authorityHost(cloud === undefined ? {} : { cloud }, env)).toBe(host);
  });

  it.each([
    { name: 'plain http', value: 'http://login.example.internal', error: /must use https/ },
    { name: 'not a URL', value: 'login.example', error: /is not a URL/ },
  ])('AZURE_AUTHORITY_HOST $name -> usage error', ({ value, error }) => {
    expect(() => authorityHost({}, { AZURE_AUTHORITY_HOST: value })).toThrow(error);
  });
});

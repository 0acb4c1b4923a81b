/**
 * AzureStackCloud's environment file (upstream OverrideAzureCloudConfigFromEnv): the endpoints
 * credkit-acr reads from it, keys matched as Go's encoding/json matches them, and bad files refused
 * with one line naming the variable.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAzureConfig } from '../../../adapters/acr/azure-json.ts';
import { isAzureStack, parseCloudEnvironment, readCloudEnvironment } from '../../../adapters/acr/cloud.ts';
import { authorityHost } from '../../../adapters/acr/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'credkit-acr-cloud-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('parseCloudEnvironment', () => {
  it.each([
    {
      name: 'the Azure Stack Hub shape',
      text: '{"name":"AzureStackCloud","activeDirectoryEndpoint":"https://adfs.local.test/","containerRegistryDNSSuffix":"azsacr.local.test","resourceManagerEndpoint":"https://management.local.test/"}',
      environment: {
        activeDirectoryEndpoint: 'https://adfs.local.test/',
        containerRegistryDNSSuffix: 'azsacr.local.test',
      },
    },
    {
      name: 'keys in any case, a leading dot on the suffix',
      text: '{"ActiveDirectoryEndpoint":"https://login.local.test","CONTAINERREGISTRYDNSSUFFIX":".AzsAcr.Local.Test"}',
      environment: {
        activeDirectoryEndpoint: 'https://login.local.test',
        containerRegistryDNSSuffix: 'azsacr.local.test',
      },
    },
    { name: 'neither key (a cloud without ACR)', text: '{"name":"AzureStackCloud"}', environment: {} },
  ])('$name', ({ text, environment }) => {
    expect(parseCloudEnvironment(text, 'env.json')).toEqual({ path: 'env.json', ...environment });
  });

  it.each([
    { name: 'not JSON', text: 'name: x', error: /is not an Azure environment file: not JSON$/ },
    { name: 'an array', text: '[]', error: /expected an object$/ },
    {
      name: 'a number suffix',
      text: '{"containerRegistryDNSSuffix":5}',
      error: /containerregistrydnssuffix: expected a string$/,
    },
    { name: 'a suffix with a slash', text: '{"containerRegistryDNSSuffix":"a.b/c"}', error: /is not a DNS name$/ },
    { name: 'a wildcard suffix', text: '{"containerRegistryDNSSuffix":"*.test"}', error: /is not a DNS name$/ },
  ])('$name: refused', ({ text, error }) => {
    expect(() => parseCloudEnvironment(text, 'env.json')).toThrow(error);
  });
});

describe('readCloudEnvironment and the azure.json cloud name', () => {
  it('unset: nothing read', () => {
    expect(readCloudEnvironment({})).toBeUndefined();
  });

  it('a missing file is a usage error naming the variable', () => {
    expect(() => readCloudEnvironment({ AZURE_ENVIRONMENT_FILEPATH: join(dir, 'missing.json') })).toThrow(
      expect.objectContaining({
        kind: 'usage',
        message: expect.stringMatching(/^cannot read AZURE_ENVIRONMENT_FILEPATH .* \(ENOENT\)/),
      }),
    );
  });

  it.each([
    { cloud: 'AzureStackCloud', stack: true },
    { cloud: ' azurestackcloud ', stack: true },
    { cloud: 'AzurePublicCloud', stack: false },
    { cloud: undefined, stack: false },
  ])('isAzureStack($cloud) = $stack', ({ cloud, stack }) => {
    expect(isAzureStack(cloud)).toBe(stack);
  });

  it.each([
    {
      name: 'AzureStackCloud: the file gives the authority',
      cloud: 'AzureStackCloud',
      env: {},
      host: 'https://adfs.local.test',
    },
    {
      name: 'AZURE_AUTHORITY_HOST still wins',
      cloud: 'AzureStackCloud',
      env: { AZURE_AUTHORITY_HOST: 'https://login.override.test' },
      host: 'https://login.override.test',
    },
    {
      name: 'another cloud: the file is ignored, as upstream',
      cloud: 'AzureChinaCloud',
      env: {},
      host: 'https://login.chinacloudapi.cn',
    },
  ])('$name', async ({ cloud, env, host }) => {
    const environment = write(`env-${cloud}.json`, '{"activeDirectoryEndpoint":"https://adfs.local.test/adfs"}');
    const config = await loadAzureConfig(write(`azure-${cloud}.json`, JSON.stringify({ cloud })), {
      AZURE_ENVIRONMENT_FILEPATH: environment,
    });
    expect(authorityHost(config, env)).toBe(host);
  });

  it('an http authority in the file is refused: the pod token is sent there', async () => {
    const environment = write('env-http.json', '{"activeDirectoryEndpoint":"http://adfs.local.test/"}');
    const config = await loadAzureConfig(write('azure-http.json', '{"cloud":"AzureStackCloud"}'), {
      AZURE_ENVIRONMENT_FILEPATH: environment,
    });
    expect(() => authorityHost(config, {})).toThrow(
      /^activeDirectoryEndpoint in .*env-http\.json http:\/\/adfs\.local\.test\/ must use https/,
    );
  });
});

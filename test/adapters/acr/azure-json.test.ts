/**
 * azure.json as upstream's loader reads it (research/azure-acr.md §1.3): JSON or YAML,
 * case-insensitive keys, unknown keys ignored, empty file = defaults.
 */
import { describe, expect, it } from 'vitest';
import { parseAzureConfig } from '../../../adapters/acr/azure-json.ts';
import { CredkitError } from '../../../core/index.ts';

describe('parseAzureConfig', () => {
  it.each([
    { name: 'empty file: all defaults', text: '', config: { useManagedIdentityExtension: false } },
    { name: 'whitespace only', text: '  \n', config: { useManagedIdentityExtension: false } },
    {
      name: 'service principal (upstream TestGetCredentials)',
      text: '{"aadClientId":"foo","aadClientSecret":"bar"}',
      config: { aadClientId: 'foo', aadClientSecret: 'bar', useManagedIdentityExtension: false },
    },
    {
      name: 'keys match case-insensitively (upstream uses tenantID)',
      text: '{"tenantID":"test-tenant-id","USEMANAGEDIDENTITYEXTENSION":true}',
      config: { tenantId: 'test-tenant-id', useManagedIdentityExtension: true },
    },
    {
      name: 'managed identity with a user-assigned client id',
      text: '{"useManagedIdentityExtension":true,"userAssignedIdentityID":"test-client-id"}',
      config: { useManagedIdentityExtension: true, userAssignedIdentityID: 'test-client-id' },
    },
    {
      name: 'YAML',
      text: 'cloud: AzureChinaCloud\ntenantId: t\nuseManagedIdentityExtension: true\n',
      config: { cloud: 'AzureChinaCloud', tenantId: 't', useManagedIdentityExtension: true },
    },
    {
      name: 'AKS fields this provider does not use are ignored',
      text: '{"cloud":"AzurePublicCloud","subscriptionId":"s","resourceGroup":"rg","vmType":"vmss","cloudProviderRateLimitQPS":10}',
      config: { cloud: 'AzurePublicCloud', useManagedIdentityExtension: false },
    },
  ])('$name', async ({ text, config }) => {
    expect(await parseAzureConfig(text, '/etc/kubernetes/azure.json')).toEqual({
      path: '/etc/kubernetes/azure.json',
      ...config,
    });
  });

  it.each([
    {
      name: 'a scalar (upstream random-config)',
      text: 'random-config',
      error: /failed to load config .*expected an object/,
    },
    {
      name: 'malformed JSON (upstream {invalid json)',
      text: '{invalid json',
      error: /failed to load config .*not JSON or YAML/,
    },
    { name: 'a list', text: '[1, 2]', error: /expected an object/ },
    {
      name: 'a string where a boolean belongs',
      text: '{"useManagedIdentityExtension":"yes"}',
      error: /usemanagedidentityextension: .*boolean/,
    },
  ])('$name -> usage error', async ({ text, error }) => {
    const thrown = await parseAzureConfig(text).catch((caught: unknown) => caught);
    expect(thrown).toBeInstanceOf(CredkitError);
    expect((thrown as CredkitError).message).toMatch(error);
    expect((thrown as CredkitError).kind).toBe('usage');
  });

  it('an error never echoes the client secret', async () => {
    const text = '{"aadClientSecret":"s3cr3t-value", "useManagedIdentityExtension": 1}';
    const thrown = await parseAzureConfig(text).catch((caught: unknown) => caught);
    expect(thrown).toBeInstanceOf(CredkitError);
    expect((thrown as Error).message).not.toContain('s3cr3t-value');
  });
});

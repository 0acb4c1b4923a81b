/**
 * The node leg's choices that need no exec: whether the SDK's credential chain is loaded at all,
 * and the STS settings its providers get (AWS_STS_REGIONAL_ENDPOINTS, which the JS SDK ignores).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sdkChainHasInput, stsClientConfig } from '../../../adapters/ecr/node.ts';

describe('sdkChainHasInput: the SDK is loaded only when a link before IMDS has something to read', () => {
  const empty = mkdtempSync(join(tmpdir(), 'credkit-ecr-home-'));
  const withConfig = mkdtempSync(join(tmpdir(), 'credkit-ecr-home-'));
  mkdirSync(join(withConfig, '.aws'));
  writeFileSync(join(withConfig, '.aws', 'config'), '[default]\nregion = us-west-2\n');
  it.each([
    { name: 'nothing: straight to IMDS', env: { HOME: empty }, loads: false },
    { name: 'static keys', env: { HOME: empty, AWS_ACCESS_KEY_ID: 'AKIA' }, loads: true },
    { name: 'a profile', env: { HOME: empty, AWS_PROFILE: 'p' }, loads: true },
    { name: 'a web identity token file', env: { HOME: empty, AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }, loads: true },
    { name: 'container credentials', env: { HOME: empty, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2' }, loads: true },
    { name: '~/.aws/config', env: { HOME: withConfig }, loads: true },
    {
      name: 'AWS_CONFIG_FILE that exists',
      env: { HOME: empty, AWS_CONFIG_FILE: join(withConfig, '.aws', 'config') },
      loads: true,
    },
    {
      name: 'AWS_SHARED_CREDENTIALS_FILE that does not exist',
      env: { HOME: empty, AWS_SHARED_CREDENTIALS_FILE: '/nope' },
      loads: false,
    },
  ])('$name → $loads', ({ env, loads }) => {
    expect(sdkChainHasInput(env)).toBe(loads);
  });
});

describe('stsClientConfig (AWS_STS_REGIONAL_ENDPOINTS for the SDK’s own STS calls)', () => {
  const handler = {} as Parameters<typeof stsClientConfig>[2];
  it.each([
    { name: 'default: regional', env: {}, region: 'us-west-2', expected: { region: 'us-west-2' } },
    {
      name: 'regional',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'regional' },
      region: 'us-west-2',
      expected: { region: 'us-west-2' },
    },
    {
      name: 'legacy in a legacy region: global, signed for us-east-1',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' },
      region: 'eu-west-1',
      expected: { region: 'us-east-1', endpoint: 'https://sts.amazonaws.com' },
    },
    {
      name: 'legacy in a newer region: regional',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' },
      region: 'ap-east-1',
      expected: { region: 'ap-east-1' },
    },
    {
      name: 'legacy in China: regional',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' },
      region: 'cn-north-1',
      expected: { region: 'cn-north-1' },
    },
    {
      name: 'legacy but AWS_ENDPOINT_URL_STS wins',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy', AWS_ENDPOINT_URL_STS: 'https://vpce' },
      region: 'us-west-2',
      expected: { region: 'us-west-2' },
    },
    {
      name: 'legacy but FIPS',
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy', AWS_USE_FIPS_ENDPOINT: 'true' },
      region: 'us-east-1',
      expected: { region: 'us-east-1' },
    },
  ])('$name', ({ env, region, expected }) => {
    expect(stsClientConfig(env, region, handler)).toEqual({ ...expected, requestHandler: handler });
  });
});

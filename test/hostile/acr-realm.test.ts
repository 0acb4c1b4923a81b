/**
 * ACR's token realm, from a hostile registry's side (issue 11): a `/v2/` challenge that names
 * another registry, another port or plain http must never receive the Entra token. For every
 * Azure ACR host the realm is known and the challenge is not asked at all; for a custom cloud's
 * registry (AzureStackCloud) it is asked, and any realm but that registry is refused with one
 * line and the cloud-refusal exit code before the token leaves. Run through credkit-acr's binary.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAzure, startFakeAzure } from '../../adapters/acr/fake/index.ts';
import { ERROR_KINDS } from '../../core/errors.ts';
import { type FakeWorld, runLikeKubelet, startFakeWorld } from '../../core/testing/index.ts';
import { providerCommand } from '../support/commands.ts';
import { lineProblems } from './harness.ts';

const TENANT = '3b5a6d8e-0000-4000-8000-00000000aaaa';
const NODE = '9a1c0f3e-0000-4000-8000-000000000001';
const STACK_SUFFIX = 'azsacr.local.test';
/** Registries whose challenge points elsewhere, by the realm they name. */
const LOOKALIKES: Record<string, string> = {
  'victim.azurecr.io': 'https://attacker.azurecr.io/oauth2/token',
  [`otherhost.${STACK_SUFFIX}`]: 'https://attacker.azurecr.io/oauth2/token',
  [`otherport.${STACK_SUFFIX}`]: `https://otherport.${STACK_SUFFIX}:8443/oauth2/token`,
  [`plainhttp.${STACK_SUFFIX}`]: `http://plainhttp.${STACK_SUFFIX}/oauth2/token`,
  [`sibling.${STACK_SUFFIX}`]: `https://attacker.${STACK_SUFFIX}/oauth2/token`,
};

let world: FakeWorld;
let azure: FakeAzure;
let dir: string;
let stackConfig: string;
let publicConfig: string;
let stackEnv: Record<string, string>;

beforeAll(async () => {
  world = await startFakeWorld();
  azure = await startFakeAzure(world, {
    registries: [
      { loginServer: 'attacker.azurecr.io' },
      { loginServer: `attacker.${STACK_SUFFIX}` },
      { loginServer: 'honest.azurecr.io', geoReplicas: ['eastus'] },
      { loginServer: `honest.${STACK_SUFFIX}` },
      ...Object.entries(LOOKALIKES).map(([loginServer, challengeRealm]) => ({
        loginServer,
        challengeRealm,
        geoReplicas: ['eastus'],
      })),
    ],
    managedIdentities: [{ clientId: NODE, tenantId: TENANT }],
  });
  dir = mkdtempSync(join(tmpdir(), 'credkit-acr-realm-'));
  const node = { tenantId: TENANT, useManagedIdentityExtension: true, userAssignedIdentityID: NODE };
  publicConfig = join(dir, 'azure.json');
  writeFileSync(publicConfig, JSON.stringify({ ...node, cloud: 'AzurePublicCloud' }));
  stackConfig = join(dir, 'azure-stack.json');
  writeFileSync(stackConfig, JSON.stringify({ ...node, cloud: 'AzureStackCloud' }));
  const environment = join(dir, 'environment.json');
  writeFileSync(
    environment,
    JSON.stringify({
      name: 'AzureStackCloud',
      containerRegistryDNSSuffix: STACK_SUFFIX,
      activeDirectoryEndpoint: 'https://login.microsoftonline.com/',
    }),
  );
  stackEnv = { AZURE_ENVIRONMENT_FILEPATH: environment };
});
afterAll(async () => {
  await world?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  for (const server of azure.registries) {
    server.resetCalls();
    server.issued.length = 0;
  }
});

const exec = (image: string, config: string, verbosity = 0) =>
  runLikeKubelet({
    command: [...providerCommand('acr'), config, `--v=${verbosity}`],
    env: { ...world.env, ...stackEnv },
    image,
  });

const callsTo = (loginServer: string) => azure.registry(loginServer).calls();

describe('Azure ACR hosts: the realm is known, the challenge never asked', () => {
  it.each([
    {
      name: 'a registry whose challenge names another ACR',
      image: 'victim.azurecr.io/app:1',
      registry: 'victim.azurecr.io',
    },
    {
      name: 'a geo-replica whose challenge names another ACR',
      image: 'victim.eastus.geo.azurecr.io/app:1',
      registry: 'victim.azurecr.io',
    },
    { name: 'a login server', image: 'honest.azurecr.io/app:1', registry: 'honest.azurecr.io' },
    { name: 'a geo-replica', image: 'honest.eastus.geo.azurecr.io/app:1', registry: 'honest.azurecr.io' },
  ])('$name: one exchange at the image host, nothing elsewhere', async ({ image, registry }) => {
    const result = await exec(image, publicConfig);
    expect(result.exitCode, result.stderr).toBe(0);
    const host = image.split('/')[0] as string;
    expect(azure.registry(registry).requests.map((r) => `${r.host} ${r.url.pathname}`)).toEqual([
      `${host} /oauth2/exchange`,
    ]);
    expect(result.response?.auth?.[host]?.password).toBe(azure.registry(registry).issued[0]?.refreshToken);
    expect(callsTo('attacker.azurecr.io')).toBe(0);
  });
});

describe('a custom cloud (AzureStackCloud): the challenge is asked and its realm pinned', () => {
  it('the registry itself as realm: challenge, then the exchange there', async () => {
    const result = await exec(`honest.${STACK_SUFFIX}/app:1`, stackConfig);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(azure.registry(`honest.${STACK_SUFFIX}`).requests.map((r) => r.url.pathname)).toEqual([
      '/v2/',
      '/oauth2/exchange',
    ]);
  });

  it.each(
    Object.entries(LOOKALIKES)
      .filter(([host]) => host.endsWith(STACK_SUFFIX))
      .flatMap(([host, realm]) => [0, 10].map((verbosity) => ({ host, realm, verbosity }))),
  )('$host naming $realm (--v=$verbosity): refused, the token sent nowhere', async ({ host, realm, verbosity }) => {
    const result = await exec(`${host}/app:1`, stackConfig, verbosity);
    expect(result.exitCode, result.stderr).toBe(ERROR_KINDS.denied);
    const lines = result.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `${host.replaceAll('.', '\\.')} named the token realm "${new URL(realm).origin.replaceAll('.', '\\.')}", not https://${host.replaceAll('.', '\\.')}: refusing to send the token there`,
      ),
    );
    expect(lineProblems(result, { verbosity, secrets: [] })).toEqual([]);
    expect(azure.registry(host).requests.map((r) => r.url.pathname)).toEqual(['/v2/']);
    expect(callsTo('attacker.azurecr.io') + callsTo(`attacker.${STACK_SUFFIX}`)).toBe(0);
  });

  it('the suffix without AzureStackCloud in azure.json is not ours (upstream reads the file only then)', async () => {
    const result = await exec(`honest.${STACK_SUFFIX}/app:1`, publicConfig);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.response?.auth).toBeUndefined();
    expect(callsTo(`honest.${STACK_SUFFIX}`)).toBe(0);
  });
});

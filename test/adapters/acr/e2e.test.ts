/**
 * credkit-acr end to end, run as the kubelet runs it (providerCommand + runLikeKubelet), reaching
 * Entra ID, IMDS and the registries by their real host names through the CONNECT proxy and the test
 * CA. The fakes verify every token they receive, so a wrong flow cannot pass by accident.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { skopeoInspect as inspectWithSkopeo, type KubeletResult, runLikeKubelet } from '../../../core/testing/index.ts';
import { providerCommand } from '../../support/commands.ts';
import {
  type AcrWorld,
  APP_A,
  APP_B,
  annotationsFor,
  GOV_REGISTRY,
  KUBELET_IDENTITY,
  OTHER_TENANT,
  REGISTRY,
  SP_ID,
  SP_SECRET,
  startAcrWorld,
  TENANT,
} from './world.ts';

const GUID = '00000000-0000-0000-0000-000000000000';
let acr: AcrWorld;

beforeAll(async () => {
  acr = await startAcrWorld();
});
afterAll(async () => acr?.close());
beforeEach(() => acr.resetCalls());

function credentialFor(result: KubeletResult, key: string) {
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.verdict).toMatchObject({ valid: true });
  const entry = result.response?.auth?.[key];
  expect(entry, `auth key ${key}`).toBeDefined();
  return entry as { username: string; password: string };
}

/** Every secret a run could leak: the pod token, its signature alone, issued refresh tokens. */
function secretsOf(token?: string): string[] {
  const issued = acr.azure.registries.flatMap((r) => r.issued.map((i) => i.refreshToken));
  return [...(token ? [token, token.split('.')[2] as string] : []), ...issued, SP_SECRET];
}

describe('node identity', () => {
  it('managed identity: IMDS then one exchange, cached until the refresh token expiry minus 5 min', async () => {
    const result = await acr.exec({ image: `${REGISTRY}/team/app:v1` });
    const auth = credentialFor(result, REGISTRY);
    const issued = acr.azure.registry(REGISTRY).issued;
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ clientId: KUBELET_IDENTITY, tenant: TENANT, grantType: 'access_token' });
    expect(auth).toEqual({ username: GUID, password: issued[0]?.refreshToken });
    expect(result.verdict.cacheSeconds).toBeGreaterThan(3 * 3600 - 300 - 30);
    expect(result.verdict.cacheSeconds).toBeLessThanOrEqual(3 * 3600 - 300);
    expect(acr.azure.imds.calls('token')).toBe(1);
    expect(acr.azure.registry(REGISTRY).calls()).toBe(1);
    expect(acr.azure.entra.calls()).toBe(0);
  });

  it.each([
    { name: 'by client id', id: KUBELET_IDENTITY, query: 'client_id' },
    {
      name: 'by ARM resource id',
      id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kubelet',
      query: 'msi_res_id',
    },
    { name: 'the only identity on the VM, none named', id: undefined, query: undefined },
  ])('managed identity $name', async ({ id, query }) => {
    const config = await acr.writeConfig({
      useManagedIdentityExtension: true,
      ...(id ? { userAssignedIdentityID: id } : {}),
    });
    const result = await acr.exec({ image: `${REGISTRY}/team/app`, config });
    credentialFor(result, REGISTRY);
    const params = acr.azure.imds.requests[0]?.url.searchParams;
    expect(params?.get('resource')).toBe('https://containerregistry.azure.net');
    expect([...(params?.keys() ?? [])].filter((key) => ['client_id', 'msi_res_id', 'object_id'].includes(key))).toEqual(
      query ? [query] : [],
    );
    expect(acr.azure.imds.requests[0]?.headers.metadata).toBe('true');
    expect(acr.azure.registry(REGISTRY).issued[0]?.clientId).toBe(KUBELET_IDENTITY);
  });

  it('service principal from azure.json: the static secret, no network, 10 min', async () => {
    const result = await acr.exec({
      image: `${REGISTRY}/team/app`,
      config: acr.configs.servicePrincipal,
      args: ['--v=10'],
    });
    expect(credentialFor(result, '*.azurecr.io')).toEqual({ username: SP_ID, password: SP_SECRET });
    expect(result.response?.auth?.[REGISTRY]).toEqual({ username: SP_ID, password: SP_SECRET });
    expect(result.verdict.cacheSeconds).toBeGreaterThanOrEqual(595);
    expect(result.verdict.cacheSeconds).toBeLessThanOrEqual(600);
    expect(acr.azure.totalCalls()).toBe(0);
    expect(result.stderr).toContain('returning the azure.json service principal');
    expect(result.stderr).not.toContain(SP_SECRET);
  });

  it('service principal with --service-principal-auth=token: the secret stays on the node, a refresh token for one registry', async () => {
    const result = await acr.exec({
      image: `${REGISTRY}/team/app`,
      config: acr.configs.servicePrincipal,
      args: ['--service-principal-auth=token', '--v=10'],
    });
    const auth = credentialFor(result, REGISTRY);
    expect(Object.keys(result.response?.auth ?? {})).toEqual([REGISTRY]);
    expect(acr.azure.registry(REGISTRY).issued).toEqual([
      expect.objectContaining({ clientId: SP_ID, refreshToken: auth.password }),
    ]);
    expect(new URLSearchParams(acr.azure.entra.requests[0]?.body).get('client_secret')).toBe(SP_SECRET);
    expect(result.stdout + result.stderr).not.toContain(SP_SECRET);
  });

  it('geo-replica: no challenge (its realm is known), one exchange at the replica for the base registry', async () => {
    const replica = 'myacr.eastus.geo.azurecr.io';
    const result = await acr.exec({ image: `${replica}/team/app` });
    credentialFor(result, replica);
    const registry = acr.azure.registry(REGISTRY);
    expect(registry.calls('challenge')).toBe(0);
    expect(registry.calls('exchange')).toBe(1);
    expect(registry.requests.map((r) => r.host)).toEqual([replica]);
    expect(new URLSearchParams(registry.requests[0]?.body).get('service')).toBe(REGISTRY);
  });

  it('a mirrored image uses the node identity even when the pod sends a federated token', async () => {
    const token = await acr.mint('app-a');
    const result = await acr.exec({
      image: 'mcr.microsoft.com/azure-cli:latest',
      args: ['--registry-mirror=mcr.microsoft.com:myacr.azurecr.io'],
      token,
      annotations: annotationsFor(APP_A),
    });
    const auth = credentialFor(result, 'mcr.microsoft.com');
    expect(result.response?.auth?.[REGISTRY]).toEqual(auth);
    expect(acr.azure.registry(REGISTRY).issued[0]?.clientId).toBe(KUBELET_IDENTITY);
    expect(acr.azure.entra.calls()).toBe(0);
  });

  it('a malformed --registry-mirror entry is skipped with one warning; the good entries still serve', async () => {
    const result = await acr.exec({
      image: 'mcr.microsoft.com/azure-cli:latest',
      args: ['--registry-mirror=typo.example.com,mcr.microsoft.com:myacr.azurecr.io'],
    });
    const auth = credentialFor(result, 'mcr.microsoft.com');
    expect(result.response?.auth?.[REGISTRY]).toEqual(auth);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^W.*skipping --registry-mirror entry "typo.example.com": it is not src:dst/);
  });

  // The kubelet sends its configured audience for every pod (e.g. api://AKSIdentityBinding); a pod
  // that pulls as the node never uses the token, so upstream never looks at it, nor does credkit.
  it.each([
    { name: 'another audience, no annotations', audience: 'api://AKSIdentityBinding' },
    { name: 'expired, no annotations', expiresInSeconds: -3600 },
    { name: 'another audience, a mirrored image', audience: 'api://AKSIdentityBinding', mirrored: true },
  ])('token of $name: ignored, the managed identity answers', async ({ audience, expiresInSeconds, mirrored }) => {
    const token = await acr.mint('app-a', {
      ...(audience ? { audience } : {}),
      ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}),
    });
    const result = await acr.exec({
      image: mirrored ? 'mcr.microsoft.com/azure-cli:latest' : `${REGISTRY}/team/app`,
      token,
      ...(mirrored
        ? { args: ['--registry-mirror=mcr.microsoft.com:myacr.azurecr.io'], annotations: annotationsFor(APP_A) }
        : {}),
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    credentialFor(result, mirrored ? 'mcr.microsoft.com' : REGISTRY);
    expect(acr.azure.registry(REGISTRY).issued[0]?.clientId).toBe(KUBELET_IDENTITY);
    expect(acr.azure.imds.calls()).toBe(1);
    expect(acr.azure.entra.calls()).toBe(0);
  });
});

describe('service account mode', () => {
  it('pod token -> Entra ID -> exchange: two round trips, no IMDS', async () => {
    const token = await acr.mint('app-a');
    const result = await acr.exec({ image: `${REGISTRY}/team/app`, token, annotations: annotationsFor(APP_A) });
    const auth = credentialFor(result, REGISTRY);
    expect(acr.azure.registry(REGISTRY).issued).toEqual([
      expect.objectContaining({ clientId: APP_A, tenant: TENANT, refreshToken: auth.password }),
    ]);
    expect(acr.azure.totalCalls()).toBe(2);
    expect(acr.azure.entra.calls('token')).toBe(1);
    expect(acr.azure.entra.calls('openid-configuration') + acr.azure.entra.calls('instance-discovery')).toBe(0);
    expect(acr.world.proxy.connects).toEqual(['login.microsoftonline.com:443', `${REGISTRY}:443`]);
  });

  it('two service accounts with different client ids get different refresh tokens', async () => {
    const [a, b] = await Promise.all([acr.mint('app-a'), acr.mint('app-b')]);
    const first = await acr.exec({ image: `${REGISTRY}/team/app`, token: a, annotations: annotationsFor(APP_A) });
    const second = await acr.exec({ image: `${REGISTRY}/team/app`, token: b, annotations: annotationsFor(APP_B) });
    const passwords = [credentialFor(first, REGISTRY).password, credentialFor(second, REGISTRY).password];
    expect(new Set(passwords).size).toBe(2);
    expect(acr.azure.registry(REGISTRY).issued.map((i) => i.clientId)).toEqual([APP_A, APP_B]);
  });

  it('a service account without the annotations pulls with the node identity', async () => {
    const result = await acr.exec({ image: `${REGISTRY}/team/app`, token: await acr.mint('plain') });
    credentialFor(result, REGISTRY);
    expect(acr.azure.registry(REGISTRY).issued[0]?.clientId).toBe(KUBELET_IDENTITY);
  });

  it('sovereign cloud by name: AzureUSGovernmentCloud goes to login.microsoftonline.us', async () => {
    const token = await acr.mint('app-a-gov');
    const result = await acr.exec({
      image: `${GOV_REGISTRY}/team/app`,
      config: acr.configs.usGov,
      token,
      annotations: annotationsFor(APP_A, OTHER_TENANT),
    });
    credentialFor(result, GOV_REGISTRY);
    expect(acr.world.proxy.connects).toEqual(['login.microsoftonline.us:443', `${GOV_REGISTRY}:443`]);
  });

  it('AZURE_AUTHORITY_HOST overrides the cloud name', async () => {
    const token = await acr.mint('app-a');
    const result = await acr.exec({
      image: `${REGISTRY}/team/app`,
      token,
      annotations: annotationsFor(APP_A),
      env: { AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us/' },
    });
    credentialFor(result, REGISTRY);
    expect(acr.world.proxy.connects[0]).toBe('login.microsoftonline.us:443');
  });
});

describe('a real client uses the credential', () => {
  it.each([
    { name: 'managed identity', sa: undefined },
    { name: 'federated service account', sa: 'app-a' },
  ])('skopeo inspect --creds with the $name refresh token reads the manifest', async ({ sa }) => {
    const token = sa ? await acr.mint(sa) : undefined;
    const result = await acr.exec({
      image: `${REGISTRY}/team/app:v1`,
      ...(token ? { token, annotations: annotationsFor(APP_A) } : {}),
    });
    const auth = credentialFor(result, REGISTRY);
    const skopeo = await inspectWithSkopeo(acr.world, `${REGISTRY}/team/app:v1`, auth);
    expect(skopeo.manifest).toMatchObject({
      Name: `${REGISTRY}/team/app`,
      Os: 'linux',
      Digest: expect.stringMatching(/^sha256:/),
    });
    expect(acr.azure.registry(REGISTRY).calls('manifest')).toBeGreaterThan(0);
  });

  it('the registry refuses a credential it did not issue', async () => {
    const forged = { username: GUID, password: (await acr.mint('app-a')).replace(/.$/, 'x') };
    const refused = await inspectWithSkopeo(acr.world, `${REGISTRY}/team/app:v1`, forged);
    expect(refused.ok).toBe(false);
    const failed = refused.error;
    expect(failed).toMatch(/unauthorized|authentication required/i);
  });
});

describe('failures: one line, the right exit code, nothing secret', () => {
  const cases = [
    {
      name: 'wrong audience: refused before any network call',
      token: { sa: 'app-a', audience: 'api://AKSIdentityBinding' },
      exitCode: 4,
      stderr: /token audience is \["api:\/\/AKSIdentityBinding"\], this provider expects api:\/\/AzureADTokenExchange/,
      calls: 0,
    },
    {
      name: 'expired token: refused before any network call',
      token: { sa: 'app-a', expiresInSeconds: -600 },
      exitCode: 4,
      stderr: /token of system:serviceaccount:team:app-a expired/,
      calls: 0,
    },
    {
      name: 'no federated credential for this subject: AADSTS70021 with client, tenant and subject',
      token: { sa: 'intruder' },
      clientId: APP_A,
      exitCode: 5,
      stderr: new RegExp(
        `Entra ID refused client ${APP_A} in tenant ${TENANT} for system:serviceaccount:team:intruder: AADSTS70021: No matching federated identity record.*add a federated identity credential`,
      ),
      calls: 1,
    },
    {
      name: 'unknown client id: AADSTS700016',
      token: { sa: 'app-a' },
      clientId: 'd0d0d0d0-0000-4000-8000-00000000000d',
      exitCode: 5,
      stderr:
        /AADSTS700016: Application with identifier 'd0d0d0d0-0000-4000-8000-00000000000d' was not found.*acr-client-id annotation/,
      calls: 1,
    },
    {
      name: 'only one of the two annotations',
      token: { sa: 'app-a' },
      annotations: { 'kubernetes.azure.com/acr-client-id': APP_A },
      exitCode: 2,
      stderr: /kubernetes.azure.com\/acr-tenant-id missing or empty/,
      calls: 0,
    },
    {
      name: 'wrong service principal secret with --service-principal-auth=token: AADSTS7000215',
      config: 'wrongSecret',
      args: ['--service-principal-auth=token'],
      exitCode: 5,
      stderr: new RegExp(
        `Entra ID refused service principal ${SP_ID} in tenant ${TENANT}: AADSTS7000215: Invalid client secret provided: aadClientSecret in azure.json is wrong`,
      ),
      calls: 1,
    },
    {
      name: 'IMDS does not know the identity',
      config: 'unknownIdentity',
      exitCode: 5,
      stderr: /IMDS refused a token for managed identity 11111111-.*Identity not found/,
      calls: 1,
    },
  ];

  it.each(cases)('$name', async (c) => {
    const token = c.token
      ? await acr.mint(c.token.sa, {
          ...(c.token.audience ? { audience: c.token.audience } : {}),
          ...(c.token.expiresInSeconds !== undefined ? { expiresInSeconds: c.token.expiresInSeconds } : {}),
        })
      : undefined;
    const configs: Record<string, unknown> = {
      unknownIdentity: {
        useManagedIdentityExtension: true,
        userAssignedIdentityID: '11111111-0000-4000-8000-000000000000',
      },
      wrongSecret: { tenantId: TENANT, aadClientId: SP_ID, aadClientSecret: 'wrong-secret-value' },
    };
    const config = c.config ? await acr.writeConfig(configs[c.config]) : undefined;
    const result = await acr.exec({
      image: `${REGISTRY}/team/app`,
      args: ['--v=10', ...(c.args ?? [])],
      ...(config ? { config } : {}),
      ...(token ? { token, annotations: c.annotations ?? annotationsFor(c.clientId ?? APP_A) } : {}),
    });
    expect(result.exitCode).toBe(c.exitCode);
    expect(result.stdout).toBe('');
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('E'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(c.stderr);
    expect(acr.azure.totalCalls()).toBe(c.calls);
    for (const secret of [...secretsOf(token), 'wrong-secret-value']) expect(result.stderr).not.toContain(secret);
    expect(result.stderr).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  });

  it('a successful run at --v=10 prints no token, refresh token or signature', async () => {
    const token = await acr.mint('app-a');
    const result = await acr.exec({
      image: `${REGISTRY}/team/app`,
      token,
      annotations: annotationsFor(APP_A),
      args: ['--v=10'],
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('credential issued');
    for (const secret of secretsOf(token)) expect(result.stderr).not.toContain(secret);
    expect(result.stderr).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  });
});

describe('throttling and server errors are retried within the deadline', () => {
  it.each([
    {
      name: 'Entra ID 429 x3 with Retry-After',
      server: 'entra',
      endpoint: 'token',
      fault: { status: 429, headers: { 'retry-after': '1' } },
      times: 3,
    },
    { name: 'exchange 503 x2', server: REGISTRY, endpoint: 'exchange', fault: { status: 503, body: 'busy' }, times: 2 },
    { name: 'exchange delayed 1.5 s x1', server: REGISTRY, endpoint: 'exchange', fault: { delayMs: 1500 }, times: 1 },
  ])('$name -> success', async ({ server, endpoint, fault, times }) => {
    const target = server === 'entra' ? acr.azure.entra : acr.azure.registry(server);
    target.faults.push(endpoint, fault, times);
    const token = await acr.mint('app-a');
    const result = await acr.exec({ image: `${REGISTRY}/team/app`, token, annotations: annotationsFor(APP_A) });
    credentialFor(result, REGISTRY);
    const retried = 'status' in fault ? times : 0;
    expect(target.calls(endpoint)).toBe(1 + retried);
  });

  it('a stalled IMDS meets the overall deadline: exit 7 well inside the kubelet 60 s', async () => {
    acr.azure.imds.faults.push('token', { delayMs: 4_000 }, 1);
    const result = await acr.exec({ image: `${REGISTRY}/team/app`, args: ['--timeout=1s'] });
    expect(result.exitCode).toBe(7);
    expect(result.durationMs).toBeLessThan(3_500);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/deadline/);
  });

  it.each([
    {
      name: 'the proxy answers 502 for IMDS',
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://imds.unrouted.test' } as Record<string, string>,
      stderr:
        // bun's fetch sends plain HTTP to the proxy (its 502 is an answer); node's agent tunnels (a refusal).
        /(IMDS did not give a token for managed identity .*status 502, even after retries|the proxy 127\.0\.0\.1:\d+ answered 502 Bad Gateway to CONNECT imds\.unrouted\.test:80).*add 169.254.169.254 to NO_PROXY/,
    },
    {
      name: 'nothing listens',
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
      stderr:
        /cannot get a token for managed identity .* from IMDS \(the IMDS token request \(127\.0\.0\.1:9\) refused the connection \(ECONNREFUSED\).*\): run on an Azure VM/,
    },
  ])('unreachable IMDS, $name: exit 6 with the fix', async ({ env, stderr }) => {
    const result = await acr.exec({ image: `${REGISTRY}/team/app`, env });
    expect(result.exitCode).toBe(6);
    expect(result.stderr).toMatch(stderr);
  });

  it('429 that never ends fails as unavailable, naming the host', async () => {
    acr.azure.entra.faults.push('token', { status: 429, headers: { 'retry-after': '0' } }, 10);
    const result = await acr.exec({
      image: `${REGISTRY}/team/app`,
      token: await acr.mint('app-a'),
      annotations: annotationsFor(APP_A),
    });
    expect(result.exitCode).toBe(6);
    expect(result.stderr).toMatch(
      /Entra ID \(login.microsoftonline.com\) kept answering 429 for client .*try again later/,
    );
    expect(acr.azure.entra.calls('token')).toBe(5);
  });
});

describe('images that are not ours: no credentials, 0s, no network', () => {
  it.each([
    { name: 'look-alike suffix', image: 'myacr.azurecr.io.example/team/app' },
    { name: 'ACR name inside the path', image: 'docker.io/myacr.azurecr.io/app' },
    { name: 'Docker Hub', image: 'nginx' },
    { name: 'another port', image: 'myacr.azurecr.io:5000/team/app' },
    { name: 'data endpoint', image: 'myacr.eastus.data.azurecr.io/team/app' },
    { name: 'mirror source without the flag', image: 'mcr.microsoft.com/azure-cli' },
  ])('$name: $image', async ({ image }) => {
    const result = await acr.exec({ image, token: await acr.mint('app-a'), annotations: annotationsFor(APP_A) });
    expect(result.exitCode).toBe(0);
    expect(result.response).toMatchObject({ cacheKeyType: 'Registry', cacheDuration: '0s' });
    expect(result.response?.auth).toBeUndefined();
    expect(acr.world.proxy.connects).toEqual([]);
  });
});

describe('command line', () => {
  it.each([
    { name: 'no config file', argv: [], stderr: /config file is not specified/ },
    { name: 'two positional arguments', argv: ['a.json', 'b.json'], stderr: /expected exactly one argument/ },
    {
      name: 'missing config file',
      argv: ['/nonexistent/azure.json'],
      stderr: /cannot read the Azure config file \/nonexistent\/azure.json \(ENOENT\)/,
    },
    {
      name: 'unknown --service-principal-auth',
      argv: ['CONFIG', '--service-principal-auth=both'],
      stderr: /--service-principal-auth must be secret or token/,
    },
    {
      name: 'identity bindings without the API server address (upstream rule)',
      argv: ['CONFIG', '--ib-sni-name=x'],
      stderr: /--ib-apiserver-ip must be set when --ib-sni-name is provided/,
    },
  ])('$name -> exit 2, one line', async ({ argv, stderr }) => {
    const result = await acr.execRaw(
      argv.map((a) => (a === 'CONFIG' ? acr.configs.managed : a)),
      `${REGISTRY}/team/app`,
    );
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(stderr);
  });
});

describe('stdin (upstream Test_runPlugin)', () => {
  const request = (fields: Record<string, unknown>) =>
    JSON.stringify({
      kind: 'CredentialProviderRequest',
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      image: `${REGISTRY}/x`,
      ...fields,
    });
  it.each([
    { name: 'kind CredentialProviderFoo', stdin: request({ kind: 'CredentialProviderFoo' }) },
    { name: 'apiVersion foo.k8s.io/v1', stdin: request({ apiVersion: 'foo.k8s.io/v1' }) },
    { name: 'empty image', stdin: request({ image: '' }) },
    { name: 'not JSON', stdin: 'image: x' },
  ])('$name -> exit 3, nothing on stdout, no network', async ({ stdin }) => {
    const result = await runLikeKubelet({
      command: [...providerCommand('acr'), acr.configs.managed],
      env: acr.world.env,
      image: `${REGISTRY}/x`,
      stdin,
    });
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(acr.world.proxy.connects).toEqual([]);
  });
});

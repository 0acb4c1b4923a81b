/**
 * The fake Entra ID speaks MSAL's wire protocol: the real @azure/identity ClientAssertionCredential
 * (instance discovery, tenant discovery, token) gets a token from it by real host name through the
 * CONNECT proxy, and Entra's answers to bad assertions are the AADSTS errors the SDK surfaces. This
 * is what lets credkit-acr's one-round-trip request be trusted to match the SDK's.
 */

import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { ClientAssertionCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttp } from '../../../core/index.ts';
import {
  type AcrWorld,
  APP_A,
  AUDIENCE,
  OTHER_TENANT,
  REGISTRY,
  SP_ID,
  SP_SECRET,
  startAcrWorld,
  TENANT,
} from './world.ts';

let acr: AcrWorld;
beforeAll(async () => {
  acr = await startAcrWorld();
});
afterAll(async () => acr?.close());
beforeEach(() => acr.resetCalls());

/** The SDK's transport replaced by credkit's proxy- and CA-aware one, pointed at the fake world. */
function worldHttpClient(): HttpClient {
  const http = createHttp({ env: acr.world.env });
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const headers = Object.fromEntries(request.headers);
      const body = typeof request.body === 'string' ? request.body : undefined;
      const response = await http.request(request.url, { method: request.method, headers, ...(body ? { body } : {}) });
      const answer = createHttpHeaders();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) answer.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      return { request, status: response.status, headers: answer, bodyAsText: response.text };
    },
  };
}

function credential(
  serviceAccount: string,
  disableInstanceDiscovery: boolean,
  authority = 'login.microsoftonline.com',
) {
  return new ClientAssertionCredential(TENANT, APP_A, () => acr.mint(serviceAccount), {
    authorityHost: `https://${authority}`,
    httpClient: worldHttpClient(),
    disableInstanceDiscovery,
    retryOptions: { maxRetries: 0 },
  });
}

describe('@azure/identity ClientAssertionCredential against the fake Entra ID', () => {
  // MSAL ships the public cloud's metadata, so only other authorities cost discovery round trips.
  it.each([
    {
      name: 'public cloud: MSAL knows its metadata',
      authority: 'login.microsoftonline.com',
      disable: false,
      discovery: 0,
      openid: 0,
    },
    {
      name: 'other authority, instance discovery on',
      authority: 'login.sovereign.test',
      disable: false,
      discovery: 1,
      openid: 1,
    },
    {
      name: 'other authority, instance discovery off',
      authority: 'login.sovereign.test',
      disable: true,
      discovery: 0,
      openid: 1,
    },
  ])('$name: discovery calls, then a token the fake ACR accepts', async ({ authority, disable, discovery, openid }) => {
    const token = await credential('app-a', disable, authority).getToken(
      'https://containerregistry.azure.net/.default',
    );
    expect(token.token).toMatch(/^eyJ/);
    expect(acr.azure.entra.calls('instance-discovery')).toBe(discovery);
    expect(acr.azure.entra.calls('openid-configuration')).toBe(openid);
    expect(acr.azure.entra.calls('token')).toBe(1);
    const assertion = new URLSearchParams(acr.azure.entra.requests.at(-1)?.body);
    expect(assertion.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(assertion.get('scope')).toContain('https://containerregistry.azure.net/.default');

    const exchange = await createHttp({ env: acr.world.env }).request(`https://${REGISTRY}/oauth2/exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'access_token',
        service: REGISTRY,
        access_token: token.token,
      }).toString(),
    });
    expect(exchange.status).toBe(200);
    expect(acr.azure.registry(REGISTRY).issued[0]?.clientId).toBe(APP_A);
  });

  it.each([
    {
      name: 'a subject with no federated credential',
      serviceAccount: 'intruder',
      error: /AADSTS70021: No matching federated identity record/,
    },
  ])('$name -> the SDK surfaces $error', async ({ serviceAccount, error }) => {
    await expect(
      credential(serviceAccount, true).getToken('https://containerregistry.azure.net/.default'),
    ).rejects.toThrow(error);
  });

  it('the audience the fake expects is the Entra convention', () => {
    expect(AUDIENCE).toBe('api://AzureADTokenExchange');
  });
});

describe('the fake registry is strict', () => {
  const GUID = '00000000-0000-0000-0000-000000000000';
  const http = () => createHttp({ env: acr.world.env });
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  /** An Entra token for APP_A, from the fake Entra ID through the SDK-free path. */
  async function entraToken(): Promise<string> {
    const token = await credential('app-a', true).getToken('https://containerregistry.azure.net/.default');
    return token.token;
  }

  it.each([
    {
      name: 'grant access_token',
      fields: (t: string) => ({ grant_type: 'access_token', service: REGISTRY, access_token: t }),
      status: 200,
    },
    {
      name: "grant access_token_refresh_token (upstream's form)",
      fields: (t: string) => ({
        grant_type: 'access_token_refresh_token',
        service: REGISTRY,
        access_token: t,
        refresh_token: t,
        tenant: TENANT,
      }),
      status: 200,
    },
    {
      name: 'access_token_refresh_token with a different refresh_token',
      fields: (t: string) => ({
        grant_type: 'access_token_refresh_token',
        service: REGISTRY,
        access_token: t,
        refresh_token: 'other',
      }),
      status: 401,
    },
    {
      name: 'unknown grant',
      fields: (t: string) => ({ grant_type: 'password', service: REGISTRY, access_token: t }),
      status: 400,
    },
    {
      name: 'another registry as service',
      fields: (t: string) => ({ grant_type: 'access_token', service: 'other.azurecr.io', access_token: t }),
      status: 400,
    },
    {
      name: 'wrong tenant',
      fields: (t: string) => ({ grant_type: 'access_token', service: REGISTRY, access_token: t, tenant: OTHER_TENANT }),
      status: 401,
    },
    {
      name: 'a token with a forged signature',
      fields: (t: string) => ({ grant_type: 'access_token', service: REGISTRY, access_token: `${t.slice(0, -4)}AAAA` }),
      status: 401,
    },
  ])('exchange: $name -> $status', async ({ fields, status }) => {
    const response = await http().request(`https://${REGISTRY}/oauth2/exchange`, form(fields(await entraToken())));
    expect(response.status).toBe(status);
  });

  it.each([
    { name: 'POST refresh_token grant', how: 'refresh', status: 200 },
    { name: 'POST password grant with the refresh token', how: 'password', status: 200 },
    { name: 'GET with Basic refresh token', how: 'basic', status: 200 },
    { name: 'GET with Basic service principal secret', how: 'sp', status: 200 },
    { name: 'GET with a wrong service principal secret', how: 'sp-wrong', status: 401 },
    { name: 'GET without credentials', how: 'none', status: 401 },
  ])('token: $name -> $status, and only an issued access token reads the manifest', async ({ how, status }) => {
    const exchanged = await http().request(
      `https://${REGISTRY}/oauth2/exchange`,
      form({ grant_type: 'access_token', service: REGISTRY, access_token: await entraToken() }),
    );
    const refresh = JSON.parse(exchanged.text).refresh_token as string;
    const scope = 'repository:team/app:pull';
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    const query = `https://${REGISTRY}/oauth2/token?service=${REGISTRY}&scope=${encodeURIComponent(scope)}`;
    const requests: Record<string, () => ReturnType<ReturnType<typeof http>['request']>> = {
      refresh: () =>
        http().request(
          `https://${REGISTRY}/oauth2/token`,
          form({ grant_type: 'refresh_token', service: REGISTRY, scope, refresh_token: refresh }),
        ),
      password: () =>
        http().request(
          `https://${REGISTRY}/oauth2/token`,
          form({ grant_type: 'password', service: REGISTRY, scope, username: GUID, password: refresh }),
        ),
      basic: () => http().request(query, { headers: basic(GUID, refresh) }),
      sp: () => http().request(query, { headers: basic(SP_ID, SP_SECRET) }),
      'sp-wrong': () => http().request(query, { headers: basic(SP_ID, 'nope-nope') }),
      none: () => http().request(query),
    };
    const response = await (requests[how] as () => ReturnType<ReturnType<typeof http>['request']>)();
    expect(response.status).toBe(status);
    const manifestUrl = `https://${REGISTRY}/v2/team/app/manifests/v1`;
    const anonymous = await http().request(manifestUrl);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toContain('scope="repository:team/app:pull"');
    if (status !== 200) return;
    const access = JSON.parse(response.text).access_token as string;
    const manifest = await http().request(manifestUrl, { headers: { authorization: `Bearer ${access}` } });
    expect(manifest.status).toBe(200);
    const otherRepository = await http().request(`https://${REGISTRY}/v2/team/other/manifests/v1`, {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(otherRepository.status).toBe(401);
    const refreshAsBearer = await http().request(manifestUrl, { headers: { authorization: `Bearer ${refresh}` } });
    expect(refreshAsBearer.status).toBe(401);
  });
});

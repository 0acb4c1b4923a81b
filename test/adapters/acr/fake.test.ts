/**
 * The fake Entra ID speaks MSAL's wire protocol: the real @azure/identity ClientAssertionCredential
 * (instance discovery, tenant discovery, token) gets a token from it by real host name through the
 * CONNECT proxy, and Entra's answers to bad assertions are the AADSTS errors the SDK surfaces. This
 * is what lets credkit-acr's one-round-trip request be trusted to match the SDK's.
 */
import { ClientAssertionCredential } from '@azure/identity';
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttp } from '../../../core/index.ts';
import { type AcrWorld, APP_A, AUDIENCE, REGISTRY, startAcrWorld, TENANT } from './world.ts';

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

function credential(serviceAccount: string, disableInstanceDiscovery: boolean, authority = 'login.microsoftonline.com') {
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
    { name: 'public cloud: MSAL knows its metadata', authority: 'login.microsoftonline.com', disable: false, discovery: 0, openid: 0 },
    { name: 'other authority, instance discovery on', authority: 'login.sovereign.test', disable: false, discovery: 1, openid: 1 },
    { name: 'other authority, instance discovery off', authority: 'login.sovereign.test', disable: true, discovery: 0, openid: 1 },
  ])('$name: discovery calls, then a token the fake ACR accepts', async ({ authority, disable, discovery, openid }) => {
    const token = await credential('app-a', disable, authority).getToken('https://containerregistry.azure.net/.default');
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
      body: new URLSearchParams({ grant_type: 'access_token', service: REGISTRY, access_token: token.token }).toString(),
    });
    expect(exchange.status).toBe(200);
    expect(acr.azure.registry(REGISTRY).issued[0]?.clientId).toBe(APP_A);
  });

  it.each([
    { name: 'a subject with no federated credential', serviceAccount: 'intruder', error: /AADSTS70021: No matching federated identity record/ },
  ])('$name -> the SDK surfaces $error', async ({ serviceAccount, error }) => {
    await expect(credential(serviceAccount, true).getToken('https://containerregistry.azure.net/.default')).rejects.toThrow(error);
  });

  it('the audience the fake expects is the Entra convention', () => {
    expect(AUDIENCE).toBe('api://AzureADTokenExchange');
  });
});

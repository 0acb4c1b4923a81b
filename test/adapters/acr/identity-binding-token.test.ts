/**
 * The identity-binding call in process, against the strict fake endpoint: upstream's
 * TestIdentityBindingsTokenCredential_GetToken and TestCreateTransport (research/azure-acr.md §3.9)
 * as tables. The fake sits on loopback with its own cluster CA, as upstream's test server does
 * (certificate for api.example.com, dialled at 127.0.0.1); HTTPS_PROXY names a proxy that does
 * not exist, so a call that used it would fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_SCOPE } from '../../../adapters/acr/entra.ts';
import { type FakeIdentityBinding, startFakeIdentityBinding } from '../../../adapters/acr/fake/identity-binding.ts';
import { createSigner, type Signer } from '../../../adapters/acr/fake/tokens.ts';
import { identityBindingsOf } from '../../../adapters/acr/identity-binding.ts';
import { entraTokenFromIdentityBinding } from '../../../adapters/acr/identity-binding-token.ts';
import { createHttp, createLogger } from '../../../core/index.ts';
import { createTestCA, type FakeIssuer, startFakeIssuer } from '../../../core/testing/index.ts';

const SNI = 'api.example.com';
const SUBJECT = 'system:serviceaccount:ns:sa';
const DEAD_PROXY = { HTTPS_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9' };

let issuer: FakeIssuer;
let signer: Signer;
let fake: FakeIdentityBinding;
beforeAll(async () => {
  issuer = await startFakeIssuer();
  signer = await createSigner('https://sts.windows.net/');
  fake = await startFakeIdentityBinding({
    sniName: SNI,
    bindings: [
      { clientId: 'client-123', tenantId: 't1', subjects: [SUBJECT] },
      { clientId: 'default-client-456', tenantId: 't1', subjects: [SUBJECT] },
    ],
    verifyAssertion: (token, audience) => issuer.verify(token, { audience }),
    signer,
  });
});
afterAll(async () => {
  await fake?.close();
  await issuer?.close();
});

const mint = (audience = 'api://AKSIdentityBinding') =>
  issuer.mint({ namespace: 'ns', serviceAccount: 'sa', audience });

function ctx(env: Record<string, string> = DEAD_PROXY) {
  const signal = new AbortController().signal;
  return { env, signal, log: createLogger({ write: () => {} }), http: createHttp({ env, signal }) };
}

function bindings(extra: Record<string, string> = {}) {
  const found = identityBindingsOf({
    'ib-sni-name': SNI,
    'ib-apiserver-ip': fake.address,
    'ib-ca-file': fake.caFile,
    ...extra,
  });
  if (!found) throw new Error('no bindings');
  return found;
}

describe('entraTokenFromIdentityBinding (upstream TestIdentityBindingsTokenCredential_GetToken)', () => {
  it.each([
    { name: 'successful token retrieval with client ID from annotation', clientId: 'client-123' },
    { name: 'successful token retrieval with default client ID', clientId: 'default-client-456' },
  ])('$name: one POST / with the five fields, straight to the address, never the proxy', async ({ clientId }) => {
    fake.resetCalls();
    const assertion = await mint();
    const token = await entraTokenFromIdentityBinding(ctx(), {
      clientId,
      assertion,
      subject: SUBJECT,
      bindings: bindings(),
    });
    expect((await signer.verify(token, 'https://containerregistry.azure.net')).appid).toBe(clientId);
    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req).toMatchObject({ method: 'POST', host: SNI, servername: SNI, status: 200 });
    expect(req?.url.pathname).toBe('/');
    expect(Object.fromEntries(new URLSearchParams(req?.body))).toEqual({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      client_id: clientId,
      scope: ACR_SCOPE,
    });
  });

  it.each([
    {
      name: 'a token of another audience: the endpoint refuses it',
      audience: 'api://AzureADTokenExchange',
      clientId: 'client-123',
      error:
        /identity-binding endpoint at 127\.0\.0\.1:\d+ \(api\.example\.com\) answered 401: service account token rejected/,
      kind: 'denied',
    },
    {
      name: 'a client no binding names',
      audience: undefined,
      clientId: 'unbound-client',
      error: /answered 403: no identity binding for managed identity unbound-client: check that an identity binding/,
      kind: 'denied',
    },
  ])('$name -> $kind', async ({ audience, clientId, error, kind }) => {
    const assertion = await mint(audience);
    await expect(
      entraTokenFromIdentityBinding(ctx(), { clientId, assertion, subject: SUBJECT, bindings: bindings() }),
    ).rejects.toMatchObject({ kind, message: expect.stringMatching(error) });
  });

  it('5xx is tried again under the core rule; the second answer is used', async () => {
    fake.resetCalls();
    fake.faults.push('token', { status: 503, body: 'busy' });
    const token = await entraTokenFromIdentityBinding(ctx(), {
      clientId: 'client-123',
      assertion: await mint(),
      subject: SUBJECT,
      bindings: bindings(),
    });
    expect(token).toMatch(/^ey/);
    expect(fake.calls('token')).toBe(2);
  });
});

describe('the transport (upstream TestCreateTransport): SNI, cluster CA only, no proxy', () => {
  it('verifies the certificate against the cluster CA alone: the node CAs do not count', async () => {
    const other = await createTestCA('not the cluster CA');
    const env = { ...DEAD_PROXY, NODE_EXTRA_CA_CERTS: fake.caFile };
    const call = entraTokenFromIdentityBinding(ctx(env), {
      clientId: 'client-123',
      assertion: await mint(),
      subject: SUBJECT,
      bindings: bindings({ 'ib-ca-file': other.caFile }),
    });
    await expect(call).rejects.toThrow(
      /^TLS to the AKS identity-binding endpoint at 127\.0\.0\.1:\d+ \(api\.example\.com\) failed \(\w+\): its certificate must be for api\.example\.com and signed by the cluster CA in .*: check --ib-sni-name and --ib-ca-file$/,
    );
  });

  it('the SNI name is the name the certificate must carry', async () => {
    fake.resetCalls();
    const call = entraTokenFromIdentityBinding(ctx(), {
      clientId: 'client-123',
      assertion: await mint(),
      subject: SUBJECT,
      bindings: bindings({ 'ib-sni-name': 'other.example.com' }),
    });
    await expect(call).rejects.toThrow(/TLS to .* \(other\.example\.com\) failed \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    {
      name: 'missing',
      file: '/nonexistent/ca.crt',
      error: /cannot read the cluster CA file \/nonexistent\/ca.crt \(ENOENT\)/,
    },
    { name: 'not PEM', file: __filename, error: /holds no PEM certificate: point --ib-ca-file at the cluster CA/ },
  ])('a cluster CA file $name -> usage error before any call', async ({ file, error }) => {
    fake.resetCalls();
    const call = entraTokenFromIdentityBinding(ctx(), {
      clientId: 'client-123',
      assertion: 'x',
      subject: SUBJECT,
      bindings: bindings({ 'ib-ca-file': file }),
    });
    await expect(call).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(error) });
    expect(fake.requests).toHaveLength(0);
  });
});

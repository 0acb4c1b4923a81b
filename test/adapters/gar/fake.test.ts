/**
 * The fake Google Cloud is only worth something if it is as strict as Google: each row sends one
 * request through the proxy at the real hostname and checks the fake refuses (or accepts) it as
 * the service would (research/gcp-gar.md §5). The last test points Google's own client library at
 * the fakes, so the fakes speak the wire protocol the SDK expects, not just the one credkit sends.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RESOURCE_EXHAUSTED } from '../../../adapters/gar/fake/index.ts';
import { createHttp, type Http } from '../../../core/index.ts';
import { startFakeIssuer } from '../../../core/testing/index.ts';
import {
  type GarWorld,
  NODE_SA,
  PULLER_GSA,
  ROOT_DIR,
  resetCloud,
  startGarWorld,
  WIF_STS_AUDIENCE,
  WIF_TOKEN_AUDIENCE,
} from './world.ts';

let g: GarWorld;
let http: Http;
beforeAll(async () => {
  g = await startGarWorld();
  http = createHttp({ env: g.world.env });
});
afterAll(() => g.close());
beforeEach(() => resetCloud(g.cloud));

const METADATA_TOKEN = 'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token';
const STS = 'https://sts.googleapis.com/v1/token';
const generate = (email: string) =>
  `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${email}:generateAccessToken`;
const mint = (audience: string, expiresInSeconds = 3600, serviceAccount = 'puller') =>
  g.world.issuer.mint({ audience, namespace: 'team', serviceAccount, expiresInSeconds });

function stsFields(subjectToken: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    audience: WIF_STS_AUDIENCE,
    scope: 'https://www.googleapis.com/auth/cloud-platform',
    requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    subject_token: subjectToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    ...overrides,
  };
}
const postForm = (fields: Record<string, string>) =>
  http.request(STS, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
async function federatedToken(serviceAccount = 'puller'): Promise<string> {
  const answer = await postForm(stsFields(await mint(WIF_TOKEN_AUDIENCE, 3600, serviceAccount)));
  return JSON.parse(answer.text).access_token;
}

describe('fake metadata server', () => {
  it.each<{ name: string; headers: Record<string, string>; status: number }>([
    { name: 'without Metadata-Flavor', headers: {}, status: 403 },
    { name: 'with the wrong flavor', headers: { 'Metadata-Flavor': 'google' }, status: 403 },
    {
      name: 'forwarded by a proxy (X-Forwarded-For)',
      headers: { 'Metadata-Flavor': 'Google', 'X-Forwarded-For': '10.0.0.1' },
      status: 403,
    },
    { name: 'with Metadata-Flavor: Google', headers: { 'Metadata-Flavor': 'Google' }, status: 200 },
  ])('$name -> $status, always answering Metadata-Flavor: Google', async ({ headers, status }) => {
    const answer = await http.request(METADATA_TOKEN, { headers });
    expect(answer.status).toBe(status);
    expect(answer.headers['metadata-flavor']).toBe('Google');
  });

  it('serves the email and the account list that Enabled() probes read', async () => {
    const flavor = { 'Metadata-Flavor': 'Google' };
    const email = await http.request(METADATA_TOKEN.replace(/token$/, 'email'), { headers: flavor });
    const list = await http.request(METADATA_TOKEN.replace(/default\/token$/, ''), { headers: flavor });
    expect([email.text, list.text]).toEqual([NODE_SA, `default/\n${NODE_SA}/\n`]);
  });
});

describe('fake STS', () => {
  it('accepts the JSON body upstream auth-provider-gcp sends and the form google-auth-library sends', async () => {
    const token = await mint(WIF_TOKEN_AUDIENCE);
    const json = await http.request(STS, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(stsFields(token)),
    });
    const form = await postForm(stsFields(token));
    for (const answer of [json, form]) {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: 3600,
      });
    }
  });

  const forge = async () =>
    (await startFakeIssuer()).mint({ audience: WIF_TOKEN_AUDIENCE, namespace: 'team', serviceAccount: 'puller' });
  it.each([
    {
      name: 'a text/plain body',
      send: async () => http.request(STS, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
      error: 'invalid_request',
    },
    {
      name: 'another grant type',
      send: async () => postForm(stsFields(await mint(WIF_TOKEN_AUDIENCE), { grant_type: 'client_credentials' })),
      error: 'unsupported_grant_type',
    },
    {
      name: 'an unknown audience',
      send: async () =>
        postForm(
          stsFields(await mint(WIF_TOKEN_AUDIENCE), {
            audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/x/providers/y',
          }),
        ),
      error: 'invalid_request',
    },
    {
      name: 'the token audience form as STS audience',
      send: async () => postForm(stsFields(await mint(WIF_TOKEN_AUDIENCE), { audience: WIF_TOKEN_AUDIENCE })),
      error: 'invalid_request',
    },
    {
      name: 'a token for another audience',
      send: async () => postForm(stsFields(await mint('my-project.svc.id.goog'))),
      error: 'invalid_grant',
    },
    {
      name: 'an expired token',
      send: async () => postForm(stsFields(await mint(WIF_TOKEN_AUDIENCE, -600))),
      error: 'invalid_grant',
    },
    {
      name: 'a token signed by another issuer key',
      send: async () => postForm(stsFields(await forge())),
      error: 'invalid_grant',
    },
    {
      name: 'another scope',
      send: async () => postForm(stsFields(await mint(WIF_TOKEN_AUDIENCE), { scope: 'openid' })),
      error: 'invalid_scope',
    },
  ])('refuses $name ($error)', async ({ send, error }) => {
    const answer = await send();
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text).error).toBe(error);
  });

  it('injected RESOURCE_EXHAUSTED answers first, then the real handler; calls are counted', async () => {
    g.cloud.sts.faults.push('sts.token', RESOURCE_EXHAUSTED, 1);
    const token = await mint(WIF_TOKEN_AUDIENCE);
    const [first, second] = [await postForm(stsFields(token)), await postForm(stsFields(token))];
    expect([first.status, second.status]).toEqual([429, 200]);
    expect(JSON.parse(first.text).error.status).toBe('RESOURCE_EXHAUSTED');
    expect(g.cloud.sts.calls('sts.token')).toBe(2);
  });
});

describe('fake IAM Credentials', () => {
  const body = JSON.stringify({ scope: ['https://www.googleapis.com/auth/cloud-platform'], lifetime: '3600s' });
  const call = (email: string, bearer: string | undefined, payload = body) =>
    http.request(generate(email), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: payload,
    });

  it.each([
    { name: 'no bearer token', bearer: async () => undefined, email: PULLER_GSA, status: 401 },
    { name: 'a token it never issued', bearer: async () => 'ya29.made-up', email: PULLER_GSA, status: 401 },
    {
      name: 'a principal not allowed to impersonate',
      bearer: () => federatedToken('intruder'),
      email: PULLER_GSA,
      status: 403,
    },
    {
      name: 'an account nobody may impersonate',
      bearer: () => federatedToken(),
      email: 'admin@my-project.iam.gserviceaccount.com',
      status: 403,
    },
    { name: 'the allowed principal', bearer: () => federatedToken(), email: PULLER_GSA, status: 200 },
  ])('$name -> $status', async ({ bearer, email, status }) => {
    const answer = await call(email, await bearer());
    expect(answer.status).toBe(status);
    if (status === 200) {
      const { accessToken, expireTime } = JSON.parse(answer.text);
      expect(g.cloud.whoIs(accessToken)).toBe(PULLER_GSA);
      expect(Date.parse(expireTime) - Date.now()).toBeGreaterThan(3500_000);
    }
  });

  it('refuses lifetimes over 12 hours', async () => {
    const answer = await call(PULLER_GSA, await federatedToken(), JSON.stringify({ scope: ['x'], lifetime: '86400s' }));
    expect(answer.status).toBe(400);
  });
});

describe('fake registry', () => {
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('challenges anonymous clients with the Artifact Registry Bearer realm', async () => {
    const answer = await http.request('https://us-docker.pkg.dev/v2/');
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      'Bearer realm="https://us-docker.pkg.dev/v2/token",service="us-docker.pkg.dev"',
    );
  });

  it.each([
    { name: '_token with an issued token', user: '_token', issued: true, status: 200 },
    { name: 'oauth2accesstoken with an issued token', user: 'oauth2accesstoken', issued: true, status: 200 },
    { name: 'another username', user: 'AWS', issued: true, status: 401 },
    { name: 'a token it never issued', user: '_token', issued: false, status: 401 },
  ])('token endpoint: $name -> $status', async ({ user, issued, status }) => {
    const password = issued ? await federatedToken() : 'ya29.made-up';
    const answer = await http.request('https://us-docker.pkg.dev/v2/token?scope=repository:p/r/i:pull', {
      headers: { authorization: basic(user, password) },
    });
    expect(answer.status).toBe(status);
  });

  it('serves a manifest whose digest is its sha256, to the registry token only', async () => {
    const login = await http.request('https://us-docker.pkg.dev/v2/token', {
      headers: { authorization: basic('_token', await federatedToken()) },
    });
    const { token } = JSON.parse(login.text);
    const manifest = await http.request('https://us-docker.pkg.dev/v2/p/r/i/manifests/latest', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers['docker-content-digest']).toBe(
      `sha256:${createHash('sha256').update(manifest.text).digest('hex')}`,
    );
    const refused = await http.request('https://us-docker.pkg.dev/v2/p/r/i/manifests/latest', {
      headers: { authorization: 'Bearer registry-guess' },
    });
    expect(refused.status).toBe(401);
    expect(g.cloud.pulls.at(-1)).toMatchObject({ host: 'us-docker.pkg.dev', repository: 'p/r/i' });
  });
});

describe("Google's own client library against the fakes", () => {
  // Run in a child process: gaxios reads HTTPS_PROXY from process.env, and Node reads
  // NODE_EXTRA_CA_CERTS at start-up only.
  const script = `
    import { Compute, IdentityPoolClient } from 'google-auth-library';
    const compute = new Compute();
    const node = await compute.getAccessToken();
    const pool = new IdentityPoolClient({
      audience: process.env.STS_AUDIENCE,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      subject_token_supplier: { getSubjectToken: async () => process.env.SUBJECT_TOKEN },
      service_account_impersonation_url: process.env.IMPERSONATION_URL,
    });
    const pod = await pool.getAccessToken();
    process.stdout.write(JSON.stringify({ node: node.token, pod: pod.token }));
  `;

  it('Compute (metadata) and IdentityPoolClient with a subject token supplier and impersonation', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT_DIR,
      env: {
        PATH: process.env.PATH,
        ...g.world.env,
        GCE_METADATA_HOST: 'metadata.google.internal',
        STS_AUDIENCE: WIF_STS_AUDIENCE,
        SUBJECT_TOKEN: await mint(WIF_TOKEN_AUDIENCE),
        IMPERSONATION_URL: generate(PULLER_GSA),
      },
      timeout: 20_000,
    });
    const { node, pod } = JSON.parse(stdout);
    expect(g.cloud.whoIs(node)).toBe(NODE_SA);
    expect(g.cloud.whoIs(pod)).toBe(PULLER_GSA);
    expect(g.cloud.sts.requests[0]?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
  });
});

/**
 * credkit-gar in process against the fake Google Cloud, through the CONNECT proxy at real
 * hostnames: upstream's provider tests (research/gcp-gar.md §3.2, §3.3) with the network in the
 * loop, the impersonation leg, retries, refusals, and what must never be printed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RESOURCE_EXHAUSTED, UNAVAILABLE } from '../../../adapters/gar/fake/index.ts';
import { googleErrorReason } from '../../../adapters/gar/refusal.ts';
import { cloudText, ERROR_KINDS, parseGoDuration } from '../../../core/index.ts';
import { startFakeIssuer } from '../../../core/testing/index.ts';
import {
  CP,
  CUSTOM_AUDIENCE,
  callCounts,
  ENABLE,
  type GarRun,
  type GarWorld,
  GKE_AUDIENCE,
  NODE_SA,
  PRECONFIGURED_AUDIENCE,
  PULLER_GSA,
  resetCloud,
  runGar,
  startGarWorld,
  WIF_STS_AUDIENCE,
  WIF_TOKEN_AUDIENCE,
} from './world.ts';

let g: GarWorld;
beforeAll(async () => {
  g = await startGarWorld();
});
afterAll(() => g.close());
beforeEach(() => resetCloud(g.cloud));

const GKE_ARGS = ['get-credentials', `--identity-provider=${CP}`, '--project-id=my-project'];
const WIF_ARGS = ['get-credentials', `--sts-audience=${WIF_STS_AUDIENCE}`];
const mint = (audience: string, serviceAccount = 'puller', expiresInSeconds = 3600) =>
  g.world.issuer.mint({ audience, namespace: 'team', serviceAccount, expiresInSeconds });
const seconds = (duration = '0s') => Number(parseGoDuration(duration) / 1_000_000_000n);
const only = (run: GarRun) => Object.values(run.response?.auth ?? {});
const formOf = (body: string) => Object.fromEntries(new URLSearchParams(body));

describe('node identity (upstream TestContainerRegistry)', () => {
  it('answers _token and the metadata token for the image registry, cached for its lifetime', async () => {
    const run = await runGar(g, { args: ['get-credentials', '--v=3'] });
    expect(run.code).toBe(0);
    const token = g.cloud.issued.at(-1);
    expect(token?.via).toBe('metadata');
    expect(run.response?.auth).toEqual({
      'us-central1-docker.pkg.dev': { username: '_token', password: token?.token },
    });
    expect(run.response?.cacheKeyType).toBe('Registry');
    expect(seconds(run.response?.cacheDuration)).toBeGreaterThan(0);
    expect(seconds(run.response?.cacheDuration)).toBeLessThanOrEqual(3599 - 300);
    expect(g.cloud.whoIs(token?.token ?? '')).toBe(NODE_SA);
  });

  it('sends Metadata-Flavor: Google, no scopes, and makes one call (no email round trip)', async () => {
    await runGar(g, {});
    expect(callCounts(g.cloud)).toEqual({ 'metadata.token': 1 });
    const req = g.cloud.metadata.requests[0];
    expect(req?.headers['metadata-flavor']).toBe('Google');
    expect(req?.url.pathname).toBe('/computeMetadata/v1/instance/service-accounts/default/token');
    expect(req?.url.search).toBe('');
    expect(req?.host).toBe('metadata.google.internal');
  });

  it('honours GCE_METADATA_HOST (straight to it, no proxy, when NO_PROXY says so)', async () => {
    const connects = g.world.proxy.connects.length;
    const run = await runGar(g, {
      env: { GCE_METADATA_HOST: g.cloud.metadataHost, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
    });
    expect(run.code).toBe(0);
    expect(g.cloud.metadata.calls('metadata.token')).toBe(1);
    expect(g.world.proxy.connects.length).toBe(connects);
  });

  it.each([
    { name: 'gcr.io', image: 'gcr.io/project/app', key: 'gcr.io' },
    { name: '*.gcr.io', image: 'eu.gcr.io/project/app', key: 'eu.gcr.io' },
    { name: '*.pkg.dev', image: 'us-docker.pkg.dev/p/r/app', key: 'us-docker.pkg.dev' },
    { name: 'container.cloud.google.com', image: 'container.cloud.google.com/x/y', key: 'container.cloud.google.com' },
  ])('keys the credential to the image registry only: $name', async ({ image, key }) => {
    const run = await runGar(g, { image });
    expect(Object.keys(run.response?.auth ?? {})).toEqual([key]);
  });

  it('a non-Google image gets no auth, 0s and no network call', async () => {
    const connects = g.world.proxy.connects.length;
    const run = await runGar(g, { image: 'registry.k8s.io/pause' });
    expect(run.code).toBe(0);
    expect(run.response).toEqual({
      kind: 'CredentialProviderResponse',
      apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      cacheKeyType: 'Registry',
      cacheDuration: '0s',
    });
    expect(g.world.proxy.connects.length).toBe(connects);
  });
});

describe('upstream TestProvide_WorkloadIdentity, through the fakes', () => {
  const rows = [
    {
      name: 'direct access (success)',
      args: GKE_ARGS,
      annotations: ENABLE,
      aud: 'my-project.svc.id.goog',
      sts: GKE_AUDIENCE,
      via: 'sts',
    },
    { name: 'unannotated SA', args: GKE_ARGS, annotations: {}, aud: 'my-project.svc.id.goog', via: 'metadata' },
    {
      name: 'annotated, feature disabled',
      args: ['get-credentials'],
      annotations: ENABLE,
      aud: 'my-project.svc.id.goog',
      via: 'metadata',
    },
    {
      name: 'custom identity provider',
      args: ['get-credentials', '--identity-provider=https://custom-provider.com', '--project-id=my-project'],
      annotations: ENABLE,
      aud: 'my-project.svc.id.goog',
      sts: CUSTOM_AUDIENCE,
      via: 'sts',
    },
    {
      name: 'pre-configured project',
      args: ['get-credentials', `--identity-provider=${CP}`, '--project-id=pre-configured-project'],
      annotations: ENABLE,
      aud: 'pre-configured-project.svc.id.goog',
      sts: PRECONFIGURED_AUDIENCE,
      via: 'sts',
    },
  ];
  it.each(rows)('$name', async ({ args, annotations, aud, sts, via }) => {
    const run = await runGar(g, { args, token: await mint(aud), annotations });
    expect(run.code).toBe(0);
    const token = g.cloud.issued.at(-1);
    expect(token?.via).toBe(via);
    expect(only(run)).toEqual([{ username: '_token', password: token?.token }]);
    expect(g.cloud.sts.calls()).toBe(sts ? 1 : 0);
    expect(g.cloud.metadata.calls()).toBe(sts ? 0 : 1);
    if (sts) expect(formOf(g.cloud.sts.requests[0]?.body ?? '').audience).toBe(sts);
  });

  it('annotated without --identity-provider: the node answers, with a warning that says why', async () => {
    const run = await runGar(g, { token: await mint('my-project.svc.id.goog'), annotations: ENABLE });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'using the node identity: iam.gke.io/enable-wi-image-pull is ignored without --identity-provider',
    );
  });

  it('annotated, STS fails (invalid_grant): one line, exit non-zero, no node fallback', async () => {
    const stranger = await startFakeIssuer();
    const forged = await stranger.mint({
      audience: 'my-project.svc.id.goog',
      namespace: 'team',
      serviceAccount: 'puller',
    });
    const run = await runGar(g, { args: GKE_ARGS, token: forged, annotations: ENABLE });
    expect(run.code).toBe(ERROR_KINDS.denied);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('STS refused the token of system:serviceaccount:team:puller');
    expect(run.stderr).toContain('400 invalid_grant');
    expect(callCounts(g.cloud)).toEqual({ 'sts.token': 1 });
    expect(run.stderr).not.toContain(forged.split('.')[2]);
  });

  it('annotated, token empty: fails without any call', async () => {
    const run = await runGar(g, { args: GKE_ARGS, annotations: ENABLE });
    expect(run.code).toBe(ERROR_KINDS.token);
    expect(run.stderr).toContain('sets iam.gke.io/enable-wi-image-pull but the kubelet sent no token');
    expect(callCounts(g.cloud)).toEqual({});
  });

  it('project id empty: the command line is refused', async () => {
    const run = await runGar(g, {
      args: ['get-credentials', `--identity-provider=${CP}`],
      token: await mint('my-project.svc.id.goog'),
      annotations: ENABLE,
    });
    expect(run.code).toBe(ERROR_KINDS.usage);
    expect(run.stderr).toContain('--project-id is required when --identity-provider is set');
    expect(callCounts(g.cloud)).toEqual({});
  });
});

describe('self-managed federation and impersonation', () => {
  it('exchanges the pod token at STS with the RFC 8693 form and caches for the federated token', async () => {
    const subjectToken = await mint(WIF_TOKEN_AUDIENCE);
    const run = await runGar(g, { args: WIF_ARGS, token: subjectToken });
    expect(run.code).toBe(0);
    const req = g.cloud.sts.requests[0];
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(formOf(req?.body ?? '')).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      audience: WIF_STS_AUDIENCE,
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token: subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    });
    expect(g.cloud.whoIs(only(run)[0]?.password ?? '')).toMatch(
      /workloadIdentityPools\/k8s\/subject\/system:serviceaccount:team:puller$/,
    );
    expect(seconds(run.response?.cacheDuration)).toBeGreaterThan(0);
    expect(seconds(run.response?.cacheDuration)).toBeLessThanOrEqual(3600 - 300);
  });

  it.each([
    {
      name: 'GKE',
      args: GKE_ARGS,
      aud: 'my-project.svc.id.goog',
      annotations: { ...ENABLE, 'iam.gke.io/gcp-service-account': PULLER_GSA },
    },
    {
      name: 'federation',
      args: WIF_ARGS,
      aud: WIF_TOKEN_AUDIENCE,
      annotations: { 'iam.gke.io/gcp-service-account': PULLER_GSA },
    },
  ])('$name: STS then generateAccessToken for iam.gke.io/gcp-service-account', async ({ args, aud, annotations }) => {
    const run = await runGar(g, { args, token: await mint(aud), annotations });
    expect(run.code).toBe(0);
    const [federated, impersonated] = g.cloud.issued.slice(-2);
    expect(only(run)).toEqual([{ username: '_token', password: impersonated?.token }]);
    expect(g.cloud.whoIs(impersonated?.token ?? '')).toBe(PULLER_GSA);
    const req = g.cloud.iamCredentials.requests[0];
    expect(req?.url.pathname).toBe(`/v1/projects/-/serviceAccounts/${PULLER_GSA}:generateAccessToken`);
    expect(req?.headers.authorization).toBe(`Bearer ${federated?.token}`);
    expect(JSON.parse(req?.body ?? '{}')).toEqual({
      scope: ['https://www.googleapis.com/auth/cloud-platform'],
      lifetime: '3600s',
    });
    expect(seconds(run.response?.cacheDuration)).toBeLessThanOrEqual(3600 - 300);
  });

  it('--credential-config: the generated external_account file, its impersonation used for every pod', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'credkit-gar-'));
    const file = join(dir, 'credential-config.json');
    writeFileSync(
      file,
      JSON.stringify({
        type: 'external_account',
        audience: WIF_STS_AUDIENCE,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: 'https://sts.googleapis.com/v1/token',
        service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${PULLER_GSA}:generateAccessToken`,
        service_account_impersonation: { token_lifetime_seconds: 1200 },
        credential_source: { file: '/var/run/secrets/tokens/gcp-ksa/token' },
      }),
    );
    const run = await runGar(g, {
      args: ['get-credentials', `--credential-config=${file}`],
      token: await mint(WIF_TOKEN_AUDIENCE),
    });
    expect(run.code).toBe(0);
    expect(g.cloud.whoIs(only(run)[0]?.password ?? '')).toBe(PULLER_GSA);
    expect(JSON.parse(g.cloud.iamCredentials.requests[0]?.body ?? '{}').lifetime).toBe('1200s');
    expect(seconds(run.response?.cacheDuration)).toBeLessThanOrEqual(1200 - 300);
  });

  it('IAM Credentials refusing a principal: one line naming the subject, the account and the fix', async () => {
    const run = await runGar(g, {
      args: WIF_ARGS,
      token: await mint(WIF_TOKEN_AUDIENCE, 'intruder'),
      annotations: { 'iam.gke.io/gcp-service-account': PULLER_GSA },
    });
    expect(run.code).toBe(ERROR_KINDS.denied);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(
      `IAM Credentials refused to let system:serviceaccount:team:intruder act as ${PULLER_GSA} (403 PERMISSION_DENIED`,
    );
    expect(run.stderr).toContain('grant roles/iam.workloadIdentityUser');
    const federated = g.cloud.issued.at(-1)?.token ?? 'none';
    expect(run.stderr).not.toContain(federated);
  });

  it('a malformed annotation never reaches the network', async () => {
    const run = await runGar(g, {
      args: WIF_ARGS,
      token: await mint(WIF_TOKEN_AUDIENCE),
      annotations: { 'iam.gke.io/gcp-service-account': 'x@evil.example/..' },
    });
    expect(run.code).toBe(ERROR_KINDS.request);
    expect(callCounts(g.cloud)).toEqual({});
  });
});

describe('pre-flight: tokens Google would refuse cost no network call', () => {
  it.each([
    {
      name: 'wrong audience',
      aud: 'sts.amazonaws.com',
      expires: 3600,
      error: 'this provider expects my-project.svc.id.goog',
    },
    { name: 'expired', aud: 'my-project.svc.id.goog', expires: -600, error: 'expired' },
  ])('$name', async ({ aud, expires, error }) => {
    const connects = g.world.proxy.connects.length;
    const token = await mint(aud, 'puller', expires);
    const run = await runGar(g, { args: GKE_ARGS, token, annotations: ENABLE });
    expect(run.code).toBe(ERROR_KINDS.token);
    expect(run.stderr).toContain(error);
    expect(g.world.proxy.connects.length).toBe(connects);
    expect(callCounts(g.cloud)).toEqual({});
  });
});

describe('throttling, outages and odd answers', () => {
  it('429 RESOURCE_EXHAUSTED three times, then success', async () => {
    g.cloud.sts.faults.push('sts.token', RESOURCE_EXHAUSTED, 3);
    const run = await runGar(g, { args: WIF_ARGS, token: await mint(WIF_TOKEN_AUDIENCE) });
    expect(run.code).toBe(0);
    expect(g.cloud.sts.calls('sts.token')).toBe(4);
  });

  it('5xx from the metadata server twice, then success', async () => {
    g.cloud.metadata.faults.push('metadata.token', { ...UNAVAILABLE, headers: { 'Metadata-Flavor': 'Google' } }, 2);
    const run = await runGar(g, {});
    expect(run.code).toBe(0);
    expect(g.cloud.metadata.calls('metadata.token')).toBe(3);
  });

  it('a service that keeps failing: unavailable after five attempts, one line', async () => {
    g.cloud.sts.faults.push('sts.token', UNAVAILABLE, 5);
    const run = await runGar(g, { args: WIF_ARGS, token: await mint(WIF_TOKEN_AUDIENCE) });
    expect(run.code).toBe(ERROR_KINDS.unavailable);
    expect(run.stderr).toContain(
      'STS (sts.googleapis.com) kept answering 503 UNAVAILABLE: The service is currently unavailable. after 5 attempts',
    );
    expect(g.cloud.sts.calls('sts.token')).toBe(5);
  });

  it('a slow STS runs into --timeout with a deadline error', async () => {
    g.cloud.sts.faults.push('sts.token', { delayMs: 3000 }, 1);
    const run = await runGar(g, { args: [...WIF_ARGS, '--timeout=1s'], token: await mint(WIF_TOKEN_AUDIENCE) });
    expect(run.code).toBe(ERROR_KINDS.deadline);
  });

  it.each([
    {
      name: 'no default service account (404)',
      fault: { status: 404, headers: { 'Metadata-Flavor': 'Google' }, body: 'Not Found' },
      kind: 'denied' as const,
      error: 'the metadata server has no default service account token (404)',
    },
    {
      name: 'an answer without Metadata-Flavor (a proxy, not the metadata server)',
      fault: { status: 200, body: { access_token: 'ya29.not-from-metadata', expires_in: 3600 } },
      kind: 'unavailable' as const,
      error: 'answered without Metadata-Flavor: Google',
    },
    {
      name: 'a 200 without access_token',
      fault: { status: 200, headers: { 'Metadata-Flavor': 'Google' }, body: { expires_in: 3600 } },
      kind: 'unavailable' as const,
      error: 'answered 200 without a valid access_token',
    },
  ])('metadata: $name', async ({ fault, kind, error }) => {
    g.cloud.metadata.faults.push('metadata.token', fault, 1);
    const run = await runGar(g, {});
    expect(run.code).toBe(ERROR_KINDS[kind]);
    expect(run.stderr).toContain(error);
    expect(run.stdout).toBe('');
  });

  it('a metadata server that refuses connections: retried, then one line with the way out', async () => {
    const closed = await import('node:net').then(
      ({ createServer }) =>
        new Promise<number>((resolve) => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
          });
        }),
    );
    const run = await runGar(g, {
      env: { GCE_METADATA_HOST: `127.0.0.1:${closed}`, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
      args: ['--v=2'],
    });
    expect(run.code).toBe(ERROR_KINDS.unavailable);
    expect(run.stderr.match(/retrying/g)).toHaveLength(4);
    expect(run.stderr).toContain(
      `the metadata server (127.0.0.1:${closed}) refused the connection (ECONNREFUSED): check that it is reachable, or check HTTPS_PROXY/NO_PROXY: the node identity needs the GCE metadata server`,
    );
  });
});

describe('no secret is ever printed, at any verbosity', () => {
  it.each([
    { name: 'success at --v=10', fault: undefined, code: 0 },
    { name: 'IAM refusal at --v=10', fault: 'iam', code: ERROR_KINDS.denied },
    { name: 'STS outage at --v=10', fault: 'sts', code: ERROR_KINDS.unavailable },
  ])('$name', async ({ fault, code }) => {
    const token = await mint(WIF_TOKEN_AUDIENCE, fault === 'iam' ? 'intruder' : 'puller');
    if (fault === 'sts') g.cloud.sts.faults.push('sts.token', UNAVAILABLE, 5);
    const run = await runGar(g, {
      args: [...WIF_ARGS, '--v=10'],
      token,
      annotations: { 'iam.gke.io/gcp-service-account': PULLER_GSA },
    });
    expect(run.code).toBe(code);
    const secrets = [
      token,
      token.split('.')[2] as string,
      ...g.cloud.issued.filter((t) => t.via !== 'metadata').map((t) => t.token),
    ];
    const password = only(run)[0]?.password;
    for (const secret of secrets) {
      expect(run.stderr).not.toContain(secret);
      if (secret !== password) expect(run.stdout).not.toContain(secret);
    }
  });
});

describe("Google's error shapes, one line each", () => {
  it.each([
    {
      body: '{"error":"invalid_grant","error_description":"The audience in ID Token [x] does not match."}',
      reason: 'invalid_grant: The audience in ID Token [x] does not match.',
    },
    { body: '{"error":"invalid_request"}', reason: 'invalid_request' },
    {
      body: '{"error":{"code":403,"message":"Permission denied.","status":"PERMISSION_DENIED"}}',
      reason: 'PERMISSION_DENIED: Permission denied.',
    },
    { body: '{"error":{"code":429}}', reason: '429' },
    { body: '<html>\n<body>Bad Gateway</body>\n</html>', reason: '<html> <body>Bad Gateway</body> </html>' },
    { body: '', reason: '(empty body)' },
    { body: 'x'.repeat(500), reason: `${'x'.repeat(300)}… (500 chars)` },
  ])('$reason', ({ body, reason }) => {
    // The core cuts every cloud's reason to one line within its budget (cloudText).
    expect(cloudText(googleErrorReason(body))).toBe(reason);
  });
});

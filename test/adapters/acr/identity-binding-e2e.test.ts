/**
 * credkit-acr with AKS identity bindings, end to end through the compiled binary as the kubelet
 * runs it with AKS's config (AgentBaker: audience api://AKSIdentityBinding, optional
 * kubernetes.azure.com/acr-client-id). The fake identity-binding endpoint listens on loopback with
 * its own cluster CA and is not behind the world's proxy: the binary must dial --ib-apiserver-ip
 * itself with the SNI name, trust --ib-ca-file alone, and send the rest (ACR) through the proxy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeIdentityBinding } from '../../../adapters/acr/fake/index.ts';
import { createSigner } from '../../../adapters/acr/fake/tokens.ts';
import type { KubeletResult } from '../../../core/testing/index.ts';
import {
  type AcrWorld,
  IB_APP,
  IB_AUDIENCE,
  IB_DEFAULT,
  IB_SNI,
  KUBELET_IDENTITY,
  OTHER_TENANT,
  REGISTRY,
  startAcrWorld,
  TENANT,
} from './world.ts';

const GUID = '00000000-0000-0000-0000-000000000000';
const IMAGE = `${REGISTRY}/team/app:v1`;
const CLIENT = 'kubernetes.azure.com/acr-client-id';
const TENANT_KEY = 'kubernetes.azure.com/acr-tenant-id';
let acr: AcrWorld;

beforeAll(async () => {
  acr = await startAcrWorld();
});
afterAll(async () => acr?.close());
beforeEach(() => acr.resetCalls());

const ib = () => acr.azure.identityBinding!;
const token = (serviceAccount = 'app-ib', audience = IB_AUDIENCE) => acr.mint(serviceAccount, { audience });

function refreshTokenOwner(result: KubeletResult) {
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.verdict, result.stderr).toMatchObject({ valid: true });
  const auth = result.response?.auth?.[REGISTRY];
  expect(auth?.username).toBe(GUID);
  return acr.azure.registry(REGISTRY).issued.find((issued) => issued.refreshToken === auth?.password);
}

describe('identity bindings: the pod token through the API server, then ACR', () => {
  it('annotated client: one POST / at the address with the SNI name, no proxy, no Entra ID, no IMDS', async () => {
    const sa = await token();
    const result = await acr.exec({ image: IMAGE, args: acr.ibArgs, token: sa, annotations: { [CLIENT]: IB_APP } });
    expect(refreshTokenOwner(result)).toMatchObject({ clientId: IB_APP, tenant: TENANT });
    expect(ib().calls('token')).toBe(1);
    const [req] = ib().requests;
    expect(req).toMatchObject({ method: 'POST', host: IB_SNI, servername: IB_SNI, status: 200 });
    expect(new URLSearchParams(req?.body).get('client_assertion')).toBe(sa);
    expect(acr.world.proxy.connects.map((c) => c.split(':')[0])).toEqual([REGISTRY]);
    expect(acr.azure.entra.calls()).toBe(0);
    expect(acr.azure.imds.calls()).toBe(0);
    expect(result.stderr).not.toContain(sa.split('.')[2]);
  });

  it.each([
    {
      name: 'no annotation -> --ib-default-client-id and --ib-default-tenant-id',
      annotations: {} as Record<string, string>,
      defaults: [`--ib-default-client-id=${IB_DEFAULT}`, `--ib-default-tenant-id=${OTHER_TENANT}`],
      expected: { clientId: IB_DEFAULT, tenant: OTHER_TENANT },
    },
    {
      name: 'the client annotation overrides the default client',
      annotations: { [CLIENT]: IB_APP },
      defaults: [`--ib-default-client-id=${IB_DEFAULT}`],
      expected: { clientId: IB_APP, tenant: TENANT },
    },
    {
      name: 'the tenant annotation overrides the default tenant',
      annotations: { [CLIENT]: IB_DEFAULT, [TENANT_KEY]: OTHER_TENANT },
      defaults: [`--ib-default-tenant-id=${TENANT}`],
      expected: { clientId: IB_DEFAULT, tenant: OTHER_TENANT },
    },
  ])('$name', async ({ annotations, defaults, expected }) => {
    const result = await acr.exec({
      image: IMAGE,
      args: [...acr.ibArgs, ...defaults],
      token: await token(),
      annotations,
    });
    expect(refreshTokenOwner(result)).toMatchObject(expected);
    expect(new URLSearchParams(ib().requests[0]?.body).get('client_id')).toBe(expected.clientId);
  });

  it('--ib-apiserver-ip may be a name: resolved, then dialled with the SNI name', async () => {
    const args = acr.ibArgs.map((arg) => arg.replace('--ib-apiserver-ip=127.0.0.1', '--ib-apiserver-ip=localhost'));
    expect(args.some((arg) => arg.startsWith('--ib-apiserver-ip=localhost:'))).toBe(true);
    const result = await acr.exec({ image: IMAGE, args, token: await token(), annotations: { [CLIENT]: IB_APP } });
    expect(refreshTokenOwner(result)).toMatchObject({ clientId: IB_APP });
  });

  it('a mirrored image still pulls as the node (cloud-provider-azure#9841): no identity-binding call', async () => {
    const result = await acr.exec({
      image: 'mcr.microsoft.com/azure-cli:latest',
      args: [...acr.ibArgs, `--registry-mirror=mcr.microsoft.com:${REGISTRY}`],
      token: await token(),
      annotations: { [CLIENT]: IB_APP },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(acr.azure.registry(REGISTRY).issued[0]).toMatchObject({ clientId: KUBELET_IDENTITY });
    expect(ib().calls()).toBe(0);
  });

  it('an image that is not ACR: no auth, 0s, no call at all', async () => {
    const result = await acr.exec({ image: 'docker.io/library/nginx', args: acr.ibArgs, token: await token() });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.response).toMatchObject({ cacheDuration: '0s' });
    expect(acr.azure.totalCalls()).toBe(0);
  });

  it('--token-audience overrides the identity-binding audience as for any provider', async () => {
    const result = await acr.exec({
      image: IMAGE,
      args: [...acr.ibArgs, '--token-audience=api://Other'],
      token: await token('app-ib', 'api://Other'),
      annotations: { [CLIENT]: IB_APP },
    });
    // The fake endpoint checks the audience itself, so it refuses what the pre-flight let through.
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toMatch(/answered 401: service account token rejected/);
  });
});

describe('identity bindings: failures, one line each, before or at the endpoint', () => {
  it.each([
    {
      name: 'no token in the request (upstream: "service account token not found in request")',
      token: undefined,
      annotations: undefined as Record<string, string> | undefined,
      exit: 4,
      stderr: /service account token not found in request, which identity bindings \(--ib-sni-name\) need/,
      calls: 0,
    },
    {
      name: "a token of Entra's audience: refused before any call",
      token: () => token('app-ib', 'api://AzureADTokenExchange'),
      annotations: { [CLIENT]: IB_APP },
      exit: 4,
      stderr: /api:\/\/AKSIdentityBinding/,
      calls: 0,
    },
    {
      name: 'no client annotation and no default',
      token: () => token(),
      annotations: {} as Record<string, string>,
      exit: 2,
      stderr: /client ID not found in service account annotations .* set --ib-default-client-id/,
      calls: 0,
    },
    {
      name: 'a service account the binding does not allow',
      token: () => token('app-b'),
      annotations: { [CLIENT]: IB_APP },
      exit: 5,
      stderr:
        /identity-binding endpoint at 127\.0\.0\.1:\d+ \(ib\.credkit\.test\) answered 403: system:serviceaccount:team:app-b may not use the identity binding of .*: check that an identity binding on this cluster names managed identity/,
      calls: 1,
    },
  ])('$name -> exit $exit', async ({ token: mint, annotations, exit, stderr, calls }) => {
    const sa = mint ? await mint() : undefined;
    const result = await acr.exec({
      image: IMAGE,
      args: acr.ibArgs,
      ...(sa ? { token: sa } : {}),
      ...(annotations ? { annotations } : {}),
    });
    expect(result.exitCode, result.stderr).toBe(exit);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(stderr);
    expect(ib().calls()).toBe(calls);
    expect(acr.azure.registry(REGISTRY).calls()).toBe(0);
  });

  it('trusts the cluster CA alone: a certificate from the node CAs (NODE_EXTRA_CA_CERTS) is refused', async () => {
    const impostor = await startFakeIdentityBinding({
      sniName: IB_SNI,
      bindings: [{ clientId: IB_APP, tenantId: TENANT, subjects: ['system:serviceaccount:team:app-ib'] }],
      ca: acr.world.ca,
      verifyAssertion: () => Promise.reject(new Error('unreachable')),
      signer: await createSigner('impostor'),
    });
    try {
      const args = [`--ib-sni-name=${IB_SNI}`, `--ib-apiserver-ip=${impostor.address}`, `--ib-ca-file=${ib().caFile}`];
      const result = await acr.exec({ image: IMAGE, args, token: await token(), annotations: { [CLIENT]: IB_APP } });
      expect(result.exitCode, result.stderr).toBe(6);
      expect(result.stderr).toMatch(
        /TLS to the AKS identity-binding endpoint .* signed by the cluster CA in .*: check --ib-sni-name and --ib-ca-file/,
      );
      expect(impostor.requests).toHaveLength(0);
    } finally {
      await impostor.close();
    }
  });

  it.each([
    {
      name: 'the CA file is not the cluster CA',
      args: () => [
        `--ib-sni-name=${IB_SNI}`,
        `--ib-apiserver-ip=${ib().address}`,
        `--ib-ca-file=${acr.world.ca.caFile}`,
      ],
      exit: 6,
      stderr: /TLS to the AKS identity-binding endpoint/,
    },
    {
      name: 'the SNI name is not the endpoint certificate name',
      args: () => [
        '--ib-sni-name=other.credkit.test',
        `--ib-apiserver-ip=${ib().address}`,
        `--ib-ca-file=${ib().caFile}`,
      ],
      exit: 6,
      stderr: /TLS to .* \(other\.credkit\.test\) failed \(ERR_TLS_CERT_ALTNAME_INVALID\)/,
    },
    {
      name: 'the default CA path on a node that is not AKS',
      args: () => [`--ib-sni-name=${IB_SNI}`, `--ib-apiserver-ip=${ib().address}`],
      exit: 2,
      stderr:
        /cannot read the cluster CA file \/etc\/kubernetes\/certs\/ca.crt \(ENOENT\) for identity bindings: fix --ib-ca-file/,
    },
    {
      name: 'an API server name that does not resolve',
      args: () => [
        `--ib-sni-name=${IB_SNI}`,
        '--ib-apiserver-ip=invalid-hostname.invalid',
        `--ib-ca-file=${ib().caFile}`,
      ],
      exit: 2,
      stderr: /--ib-apiserver-ip must be a valid IP address or resolvable FQDN, got: "invalid-hostname.invalid"/,
    },
  ])('$name -> exit $exit, nothing reaches the endpoint', async ({ args, exit, stderr }) => {
    const result = await acr.exec({
      image: IMAGE,
      args: args(),
      token: await token(),
      annotations: { [CLIENT]: IB_APP },
    });
    expect(result.exitCode, result.stderr).toBe(exit);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(stderr);
    expect(ib().requests).toHaveLength(0);
  });

  it('a 503 from the endpoint is tried again; the pull then succeeds', async () => {
    ib().faults.push('token', { status: 503, body: 'apiserver busy' });
    const result = await acr.exec({
      image: IMAGE,
      args: acr.ibArgs,
      token: await token(),
      annotations: { [CLIENT]: IB_APP },
    });
    expect(refreshTokenOwner(result)).toMatchObject({ clientId: IB_APP });
    expect(ib().calls('token')).toBe(2);
  });
});

describe('identity-binding flags, validated as upstream (exit 2, one line, every image)', () => {
  it.each([
    {
      args: ['--ib-sni-name=api.example.com'],
      stderr: /^.*--ib-apiserver-ip must be set when --ib-sni-name is provided$/,
    },
    { args: ['--ib-apiserver-ip=10.0.0.1'], stderr: /--ib-sni-name must be set when --ib-apiserver-ip is provided/ },
    {
      args: [`--ib-default-client-id=${IB_APP}`],
      stderr: /--ib-sni-name must be set when --ib-default-client-id is provided/,
    },
    {
      args: [`--ib-default-tenant-id=${TENANT}`],
      stderr: /--ib-sni-name must be set when --ib-default-tenant-id is provided/,
    },
    { args: ['--ib-ca-file=/tmp/ca.crt'], stderr: /--ib-sni-name must be set when --ib-ca-file is provided/ },
    {
      args: ['--ib-sni-name=https://api.example.com', '--ib-apiserver-ip=10.0.0.1'],
      stderr:
        /--ib-sni-name must not contain protocol prefix \(https:\/\/ or http:\/\/\), got: "https:\/\/api.example.com"/,
    },
  ])('$args', async ({ args, stderr }) => {
    for (const image of [IMAGE, 'docker.io/library/nginx']) {
      const result = await acr.exec({ image, args });
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr.trim()).toMatch(stderr);
    }
    expect(acr.azure.totalCalls()).toBe(0);
  });
});

describe('identity bindings: no token, assertion or credential on stderr, at --v=0 and --v=10', () => {
  const cases = [
    { name: 'a pull that succeeds', serviceAccount: 'app-ib', fault: false, exit: 0 },
    { name: 'a service account the binding refuses', serviceAccount: 'app-b', fault: false, exit: 5 },
    { name: 'an endpoint that keeps answering 503', serviceAccount: 'app-ib', fault: true, exit: 6 },
  ];
  it.each(cases.flatMap((c) => [0, 10].map((v) => ({ ...c, v }))))(
    '$name, --v=$v',
    async ({ serviceAccount, fault, exit, v }) => {
      if (fault) ib().faults.push('token', { status: 503, body: 'apiserver busy' }, 20);
      const sa = await token(serviceAccount);
      const result = await acr.exec({
        image: IMAGE,
        args: [...acr.ibArgs, `--v=${v}`, '--timeout=5s'],
        token: sa,
        annotations: { [CLIENT]: IB_APP },
      });
      expect(result.exitCode, result.stderr).toBe(exit);
      // The pod's token (its claims and signature), the access token the endpoint issued (as ACR
      // received it) and the refresh token handed to the kubelet.
      const [, claims, signature] = sa.split('.');
      const exchanged = acr.azure
        .registry(REGISTRY)
        .requests.map((req) => new URLSearchParams(req.body).get('access_token'))
        .filter((value): value is string => Boolean(value));
      const password = result.response?.auth?.[REGISTRY]?.password;
      const secrets = [claims, signature, ...exchanged, ...(password ? [password] : [])];
      if (exit === 0) expect(exchanged).toHaveLength(1);
      for (const secret of secrets) expect(result.stderr).not.toContain(secret);
      if (v === 0) expect(result.stderr.trim().split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
    },
  );
});

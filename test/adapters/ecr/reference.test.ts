/**
 * The AWS SDK as the reference for credkit-ecr's own STS and ECR calls: the real
 * `@aws-sdk/client-sts`, `client-ecr` and `client-ecr-public` drive the same strict fakes (SigV4
 * verified by the fake, token verified against the issuer) through the same proxy, and the wire of
 * both is compared: method, path, the headers that carry meaning, the body's parameters, the
 * credential scope and that the session credentials STS issued are the ones that signed.
 */

import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { ECRPUBLICClient, GetAuthorizationTokenCommand as PublicToken } from '@aws-sdk/client-ecr-public';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROLE_ANNOTATION } from '../../../adapters/ecr/index.ts';
import { createHttp } from '../../../core/index.ts';
import type { FakeRequest } from '../../../core/testing/index.ts';
import { type EcrWorld, invoke, ROLE_A, startEcrWorld } from './world.ts';

let ecr: EcrWorld;
let handler: NodeHttpHandler;

beforeAll(async () => {
  ecr = await startEcrWorld({ regions: ['us-west-2', 'us-east-1', 'cn-north-1'] });
  handler = new NodeHttpHandler({ httpsAgent: createHttp({ env: ecr.env }).agent });
});
afterAll(() => ecr.close());
beforeEach(() => {
  for (const server of [ecr.aws.sts, ecr.aws.ecr, ecr.aws.ecrPublic]) server.resetCalls();
});

/** What two requests must share: everything but the dates, ids, user agents and signatures. */
function wire(req: FakeRequest | undefined) {
  if (!req) throw new Error('no request');
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const auth = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+)/.exec(
    header('authorization') ?? '',
  );
  const signed = auth?.[4]?.split(';') ?? [];
  const form = header('content-type')?.startsWith('application/x-www-form-urlencoded');
  return {
    method: req.method,
    host: req.host,
    path: req.url.pathname,
    contentType: header('content-type')?.split(';')[0],
    target: header('x-amz-target'),
    // Byte for byte: the same parameters in the same order and the same encoding.
    body: form ? req.body : JSON.parse(req.body || 'null'),
    signed: auth ? { keyId: auth[1], scope: `${auth[2]}/${auth[3]}`, token: header('x-amz-security-token') } : null,
    // The headers whose signing matters to AWS: each side must sign at least these.
    signsWhatMatters: auth
      ? ['host', 'x-amz-date', 'content-type', 'x-amz-target', 'x-amz-security-token'].every(
          (name) => signed.includes(name) || header(name) === undefined,
        )
      : null,
  };
}

const cases = [
  { name: 'private ECR, us-west-2', region: 'us-west-2', kind: 'private' as const, env: {} },
  { name: 'private ECR, aws-cn', region: 'cn-north-1', kind: 'private' as const, env: {} },
  { name: 'ECR Public', region: 'us-east-1', kind: 'public' as const, env: {} },
];

describe('credkit-ecr and the AWS SDK send the same STS and ECR requests', () => {
  it.each(cases)('$name', async ({ region, kind }) => {
    const token = await ecr.mint('team-a', 'puller');
    const image = kind === 'public' ? 'public.ecr.aws/eks/pause:3.9' : `${ecr.aws.registryHost(region)}/team-a/app`;

    const ours = await invoke(ecr, { image, token, annotations: { [ROLE_ANNOTATION]: ROLE_A } });
    expect(ours.exitCode, ours.stderr).toBe(0);
    const server = kind === 'public' ? ecr.aws.ecrPublic : ecr.aws.ecr;
    const [ourSts, ourEcr] = [ecr.aws.sts.requests[0], server.requests[0]];
    for (const s of [ecr.aws.sts, ecr.aws.ecr, ecr.aws.ecrPublic]) s.resetCalls();

    const stsRegion = kind === 'public' ? 'us-east-1' : region;
    const sts = new STSClient({ region: stsRegion, requestHandler: handler, maxAttempts: 1 });
    const assumed = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: ROLE_A,
        RoleSessionName: 'ecr-credential-provider',
        WebIdentityToken: token,
      }),
    );
    const credentials = {
      accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
      secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
      sessionToken: assumed.Credentials?.SessionToken ?? '',
    };
    const config = { region, credentials, requestHandler: handler, maxAttempts: 1 };
    const answer =
      kind === 'public'
        ? (await new ECRPUBLICClient(config).send(new PublicToken({}))).authorizationData?.authorizationToken
        : (await new ECRClient(config).send(new GetAuthorizationTokenCommand({}))).authorizationData?.[0]
            ?.authorizationToken;
    expect(answer).toBeTruthy();
    const [sdkSts, sdkEcr] = [ecr.aws.sts.requests[0], server.requests[0]];

    expect(wire(ourSts)).toEqual(wire(sdkSts));
    // Each side signs ECR with the session STS gave it: same shape, own key id and token.
    const [a, b] = [wire(ourEcr), wire(sdkEcr)];
    expect({ ...a, signed: a.signed?.scope }).toEqual({ ...b, signed: b.signed?.scope });
    expect(a.signed?.keyId).toMatch(/^ASIA/);
    expect(a.signed?.token).toBeTruthy();
    expect(a.signsWhatMatters).toBe(true);
    expect(a.signed?.scope).toBe(kind === 'public' ? 'us-east-1/ecr-public' : `${region}/ecr`);
  });

  it('the legacy global STS endpoint as the SDKs that know AWS_STS_REGIONAL_ENDPOINTS use it', async () => {
    const token = await ecr.mint('team-a', 'puller');
    const image = `${ecr.aws.registryHost('us-west-2')}/team-a/app`;
    const ours = await invoke(ecr, {
      image,
      token,
      annotations: { [ROLE_ANNOTATION]: ROLE_A },
      env: { AWS_STS_REGIONAL_ENDPOINTS: 'legacy' },
    });
    expect(ours.exitCode, ours.stderr).toBe(0);
    const ourSts = ecr.aws.sts.requests[0];
    ecr.aws.sts.resetCalls();
    await new STSClient({ region: 'us-east-1', endpoint: 'https://sts.amazonaws.com', requestHandler: handler }).send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: ROLE_A,
        RoleSessionName: 'ecr-credential-provider',
        WebIdentityToken: token,
      }),
    );
    expect(wire(ourSts)).toEqual(wire(ecr.aws.sts.requests[0]));
    expect(ourSts?.host).toBe('sts.amazonaws.com');
  });
});

import { describe, expect, it } from 'vitest';
import { floorPlan, markRequests, requestsSince } from '../../bench/plan.ts';
import type { FakeRequest, FakeServer } from '../../core/testing/index.ts';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl';
const ROLE = 'arn:aws:iam::123456789012:role/puller-7';

function request(fields: Partial<Omit<FakeRequest, 'url'>> & { url: string }): {
  request: FakeRequest;
  secure: boolean;
} {
  const url = new URL(fields.url);
  return {
    secure: url.protocol === 'https:',
    request: {
      method: fields.method ?? 'POST',
      url,
      headers: fields.headers ?? { host: url.host },
      body: fields.body ?? '',
      host: url.hostname,
    },
  };
}

// What the network floor replays: one recorded request in, one step out.
describe('floorPlan turns a recorded exec into the floor script', () => {
  it.each([
    {
      name: 'the token in a form body becomes {{token}}, the role ARN (form-encoded) {{ann-uri:..}}',
      recorded: request({
        url: 'https://sts.us-west-2.amazonaws.com/',
        body: `Action=AssumeRoleWithWebIdentity&RoleArn=${encodeURIComponent(ROLE)}&WebIdentityToken=${TOKEN}`,
      }),
      step: {
        url: 'https://sts.us-west-2.amazonaws.com/',
        body: 'Action=AssumeRoleWithWebIdentity&RoleArn={{ann-uri:eks.amazonaws.com/ecr-role-arn}}&WebIdentityToken={{token}}',
      },
    },
    {
      name: 'a raw annotation value in a JSON body becomes {{ann:..}}; short values stay literal',
      recorded: request({
        url: 'https://sts.googleapis.com/v1/token',
        body: JSON.stringify({ subjectToken: TOKEN, role: ROLE, enabled: 'true' }),
      }),
      step: { body: '{"subjectToken":"{{token}}","role":"{{ann:eks.amazonaws.com/ecr-role-arn}}","enabled":"true"}' },
    },
    {
      name: 'a plain-HTTP metadata GET keeps its scheme and query and has no body',
      recorded: request({
        method: 'GET',
        url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/eks-node?x=1',
      }),
      step: {
        method: 'GET',
        url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/eks-node?x=1',
        body: null,
      },
    },
  ])('$name', ({ recorded, step }) => {
    const [got] = floorPlan([recorded], {
      token: TOKEN,
      annotations: { 'eks.amazonaws.com/ecr-role-arn': ROLE, flag: 'true' },
    });
    expect(got).toMatchObject(step);
  });

  it('replays the request headers but not host, content-length or hop-by-hop ones', () => {
    const [step] = floorPlan(
      [
        request({
          url: 'https://api.ecr.us-west-2.amazonaws.com/',
          headers: {
            host: 'api.ecr.us-west-2.amazonaws.com',
            'content-length': '2',
            connection: 'keep-alive',
            authorization: 'AWS4-HMAC-SHA256 Credential=ASIA/20260101/us-west-2/ecr/aws4_request',
            'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
            accept: ['a', 'b'],
          },
          body: '{}',
        }),
      ],
      {},
    );
    expect(step?.headers).toEqual({
      authorization: 'AWS4-HMAC-SHA256 Credential=ASIA/20260101/us-west-2/ecr/aws4_request',
      'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
      accept: 'a, b',
    });
    expect(step?.body).toBe('{}');
  });

  it("requestsSince merges the servers by arrival, from the marks on, with each server's scheme", () => {
    const at = (url: string, receivedAt: number) => ({ ...request({ url }).request, receivedAt });
    const sts = { url: 'https://127.0.0.1:1', requests: [at('https://sts.example/old', 1)] } as unknown as FakeServer;
    const imds = { url: 'http://127.0.0.1:2', requests: [at('http://169.254.169.254/a', 2)] } as unknown as FakeServer;
    const marks = markRequests([sts, imds]);
    sts.requests.push(at('https://sts.example/new', 5));
    imds.requests.push(at('http://169.254.169.254/b', 4), at('http://169.254.169.254/c', 6));
    expect(requestsSince([sts, imds], marks).map(({ request, secure }) => [request.url.pathname, secure])).toEqual([
      ['/b', false],
      ['/new', true],
      ['/c', false],
    ]);
  });
});

/**
 * AWS's wire on the exchange layer: errors read as the SDKs read them (awsJson `__type` and
 * `x-amzn-errortype`, awsQuery `<Error><Code>`), and which answers are tried again (throttling and
 * transient failures, which AWS answers with 400) or refused.
 */
import { describe, expect, it } from 'vitest';
import { awsErrorOf, isRetryableAwsAnswer } from '../../../adapters/ecr/aws.ts';
import { awsJsonError, stsError } from '../../../adapters/ecr/fake/index.ts';
import type { HttpResponse } from '../../../core/index.ts';

const answer = (fake: { status?: number; headers?: Record<string, unknown>; body?: unknown }): HttpResponse => ({
  status: fake.status ?? 200,
  headers: (fake.headers ?? {}) as HttpResponse['headers'],
  text: String(fake.body ?? ''),
});
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  answer({ status, headers, body: JSON.stringify(body) });

describe('awsErrorOf', () => {
  it.each([
    {
      name: 'awsJson',
      answer: answer(awsJsonError(400, 'AccessDeniedException', 'no')),
      code: 'AccessDeniedException',
      message: 'no',
    },
    {
      name: 'awsJson with a namespace',
      answer: json(400, { __type: 'com.amazonaws.ecr#InvalidParameterException', message: 'bad' }),
      code: 'InvalidParameterException',
      message: 'bad',
    },
    {
      name: 'the header beats the body, URI part dropped',
      answer: json(
        400,
        { __type: 'Other' },
        { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/' },
      ),
      code: 'ThrottlingException',
      message: '',
    },
    {
      name: 'awsQuery XML',
      answer: answer(stsError(403, 'AccessDenied', 'Not authorized &amp; denied')),
      code: 'AccessDenied',
      message: 'Not authorized & denied',
    },
  ])('$name', ({ answer, code, message }) => {
    expect(awsErrorOf(answer.text, answer.headers)).toEqual({ code, message });
  });

  it.each([
    { name: 'an HTML page from a proxy', body: '<html><body>502 Bad Gateway</body></html>' },
    { name: 'an empty body', body: '' },
    { name: 'JSON without an error', body: '{"authorizationData":[]}' },
    { name: 'broken XML', body: '<ErrorResponse><Error><Code>x' },
  ])('none in $name', ({ body }) => {
    expect(awsErrorOf(body)).toBeUndefined();
  });
});

describe('isRetryableAwsAnswer (AWS says "try again" with a 400)', () => {
  it.each([
    {
      name: 'ECR ThrottlingException',
      answer: answer(awsJsonError(400, 'ThrottlingException', 'Rate exceeded')),
      retry: true,
    },
    { name: 'STS Throttling', answer: answer(stsError(400, 'Throttling', 'Rate exceeded')), retry: true },
    { name: 'STS IDPCommunicationError', answer: answer(stsError(400, 'IDPCommunicationError', 'x')), retry: true },
    { name: 'RequestLimitExceeded', answer: json(400, { __type: 'RequestLimitExceeded' }), retry: true },
    {
      name: 'ECR AccessDeniedException',
      answer: answer(awsJsonError(400, 'AccessDeniedException', 'no')),
      retry: false,
    },
    { name: 'STS AccessDenied', answer: answer(stsError(403, 'AccessDenied', 'no')), retry: false },
    { name: 'STS InvalidIdentityToken', answer: answer(stsError(400, 'InvalidIdentityToken', 'no')), retry: false },
    { name: 'STS ValidationError', answer: answer(stsError(400, 'ValidationError', 'no')), retry: false },
    {
      name: 'a 400 page without an AWS error',
      answer: answer({ status: 400, body: '<html>bad</html>' }),
      retry: false,
    },
  ])('$name → $retry', ({ answer, retry }) => {
    expect(isRetryableAwsAnswer(answer)).toBe(retry);
  });
});

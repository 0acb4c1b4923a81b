/**
 * Which role a service account token is exchanged for: upstream's decision table (research/aws-ecr.md
 * §2.1, §3.3, §3.9) and the ARN check that saves a doomed STS call.
 */
import { describe, expect, it } from 'vitest';
import { checkRoleArn } from '../../../adapters/ecr/identity.ts';
import { chooseRole, ROLE_ANNOTATION } from '../../../adapters/ecr/index.ts';
import { CredkitError } from '../../../core/index.ts';

const ANNOTATED = 'arn:aws:iam::123456789012:role/from-annotation';
const FROM_ENV = 'arn:aws:iam::123456789012:role/from-env';

describe('chooseRole (upstream buildCredentialsProvider)', () => {
  it.each([
    {
      name: 'annotation',
      annotations: { [ROLE_ANNOTATION]: ANNOTATED },
      env: {},
      role: ANNOTATED,
      source: 'annotation',
    },
    {
      name: 'annotation wins over env',
      annotations: { [ROLE_ANNOTATION]: ANNOTATED },
      env: { AWS_ECR_ROLE_ARN: FROM_ENV },
      role: ANNOTATED,
      source: 'annotation',
    },
    {
      name: 'env when the annotation key is absent',
      annotations: {},
      env: { AWS_ECR_ROLE_ARN: FROM_ENV },
      role: FROM_ENV,
      source: 'env',
    },
    {
      name: 'empty annotation hides env (key present)',
      annotations: { [ROLE_ANNOTATION]: '' },
      env: { AWS_ECR_ROLE_ARN: FROM_ENV },
      role: undefined,
    },
    { name: 'neither (upstream "no arn provided")', annotations: {}, env: {}, role: undefined },
    { name: 'empty env', annotations: {}, env: { AWS_ECR_ROLE_ARN: '' }, role: undefined },
    {
      name: "IRSA's role-arn is not ours",
      annotations: { 'eks.amazonaws.com/role-arn': ANNOTATED },
      env: {},
      role: undefined,
    },
    {
      name: 'surrounding blanks are trimmed',
      annotations: { [ROLE_ANNOTATION]: ` ${ANNOTATED}\n` },
      env: {},
      role: ANNOTATED,
      source: 'annotation',
    },
  ])('$name', ({ annotations, env, role, source }) => {
    const choice = chooseRole(annotations as Record<string, string>, env);
    expect(choice.roleArn).toBe(role);
    if (source) expect(choice).toMatchObject({ source });
    else expect(choice).toHaveProperty('reason');
  });
});

describe('chooseRole with --irsa-role-annotation (opt-in, cloud-provider-aws#1264)', () => {
  const IRSA = 'eks.amazonaws.com/role-arn';
  const FROM_IRSA = 'arn:aws:iam::123456789012:role/from-irsa';
  it.each([
    { name: 'IRSA key alone', annotations: { [IRSA]: FROM_IRSA }, env: {}, role: FROM_IRSA, source: 'irsa-annotation' },
    {
      name: "upstream's key wins",
      annotations: { [ROLE_ANNOTATION]: ANNOTATED, [IRSA]: FROM_IRSA },
      env: {},
      role: ANNOTATED,
      source: 'annotation',
    },
    {
      name: "upstream's key wins even empty",
      annotations: { [ROLE_ANNOTATION]: '', [IRSA]: FROM_IRSA },
      env: {},
      role: undefined,
    },
    {
      name: 'IRSA beats the node-wide env var',
      annotations: { [IRSA]: FROM_IRSA },
      env: { AWS_ECR_ROLE_ARN: FROM_ENV },
      role: FROM_IRSA,
      source: 'irsa-annotation',
    },
    {
      name: 'an empty IRSA value names nothing: the env var',
      annotations: { [IRSA]: ' ' },
      env: { AWS_ECR_ROLE_ARN: FROM_ENV },
      role: FROM_ENV,
      source: 'env',
    },
    { name: 'neither key, no env: says both keys', annotations: {}, env: {}, role: undefined, reason: IRSA },
  ])('$name', ({ annotations, env, role, source, reason }) => {
    const choice = chooseRole(annotations as Record<string, string>, env, { irsa: true });
    expect(choice.roleArn).toBe(role);
    if (source) expect(choice).toMatchObject({ source });
    else expect(choice).toHaveProperty('reason');
    if (reason) expect(choice).toMatchObject({ reason: expect.stringContaining(reason) });
  });

  it('names the IRSA key when its value is not an ARN', () => {
    expect(() => checkRoleArn('team-a', 'irsa-annotation', 'system:serviceaccount:a:b')).toThrow(
      /annotation eks\.amazonaws\.com\/role-arn of system:serviceaccount:a:b is "team-a"/,
    );
  });
});

describe('checkRoleArn', () => {
  it.each([
    { name: 'commercial', arn: 'arn:aws:iam::123456789012:role/puller' },
    { name: 'with a path', arn: 'arn:aws:iam::123456789012:role/teams/a/puller' },
    { name: 'China', arn: 'arn:aws-cn:iam::123456789012:role/puller' },
    { name: 'GovCloud', arn: 'arn:aws-us-gov:iam::123456789012:role/puller' },
    { name: 'ISO-B', arn: 'arn:aws-iso-b:iam::123456789012:role/puller' },
  ])('accepts $name', ({ arn }) => {
    expect(() => checkRoleArn(arn, 'annotation', 'system:serviceaccount:a:b')).not.toThrow();
  });

  it.each([
    {
      name: 'not an ARN',
      arn: 'puller',
      source: 'annotation' as const,
      says: 'annotation eks.amazonaws.com/ecr-role-arn of system:serviceaccount:a:b',
    },
    {
      name: 'a user, not a role',
      arn: 'arn:aws:iam::123456789012:user/bob',
      source: 'env' as const,
      says: 'env AWS_ECR_ROLE_ARN',
    },
    { name: 'short account', arn: 'arn:aws:iam::1234:role/x', source: 'env' as const, says: 'env AWS_ECR_ROLE_ARN' },
    {
      name: 'upstream test placeholder',
      arn: 'arn:expected',
      source: 'annotation' as const,
      says: 'not an IAM role ARN',
    },
  ])('refuses $name with a usage error naming where it came from', ({ arn, source, says }) => {
    let error: unknown;
    try {
      checkRoleArn(arn, source, 'system:serviceaccount:a:b');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CredkitError);
    expect((error as CredkitError).kind).toBe('usage');
    expect((error as CredkitError).message).toContain(says);
  });
});

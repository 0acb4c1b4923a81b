import { describe, expect, it } from 'vitest';
import { checkRobotName, namesRobot, planIdentity, ROBOT_ANNOTATION } from '../../../adapters/quay/identity.ts';

const SOURCE = 'annotation quay.io/robot of system:serviceaccount:team:app';

describe('robot account names', () => {
  it.each([
    { name: 'organization robot', value: 'acme+puller' },
    { name: 'user robot', value: 'alice+ci' },
    { name: 'separators inside the parts', value: 'acme-corp.eu+pull_er-2' },
  ])('accepts $name ($value)', ({ value }) => {
    expect(checkRobotName(value, SOURCE)).toBe(value);
  });

  it.each([
    { name: 'no plus', value: 'acme' },
    { name: 'two pluses', value: 'acme+a+b' },
    { name: 'upper case', value: 'Acme+Puller' },
    { name: 'an empty robot', value: 'acme+' },
    { name: 'a one-letter part', value: 'a+puller' },
    { name: 'a leading separator', value: 'acme+_puller' },
    { name: 'a colon (would split the Basic credentials)', value: 'acme+pull:er' },
    { name: 'a space', value: 'acme+pull er' },
    { name: 'too long', value: `acme+${'a'.repeat(256)}` },
  ])('refuses $name', ({ value }) => {
    expect(() => checkRobotName(value, SOURCE)).toThrow(
      expect.objectContaining({
        kind: 'request',
        message: expect.stringContaining('is not a Quay robot account name'),
      }),
    );
  });

  it('quotes and cuts what it refuses', () => {
    expect(() => checkRobotName(`x${'y'.repeat(300)}`, SOURCE)).toThrow(/"xy{99}" is not/);
  });
});

describe('which identity answers', () => {
  const serviceAccount = (annotations: Record<string, string>) => ({
    token: 'pod-token',
    claims: { iss: 'https://oidc.example' },
    identity: { subject: 'system:serviceaccount:team:app' },
    annotations,
  });

  it.each([
    {
      name: 'no token, no annotation',
      input: {},
      plan: { kind: 'none', reason: 'the service account has no quay.io/robot' },
    },
    {
      name: 'an annotation but no token: warn about tokenAttributes',
      input: { requestAnnotations: { [ROBOT_ANNOTATION]: 'acme+puller' } },
      plan: { kind: 'none', warn: true, reason: expect.stringContaining('set tokenAttributes') },
    },
    {
      name: 'a token without the annotation',
      input: { serviceAccount: serviceAccount({}) },
      plan: { kind: 'none', reason: 'the service account has no quay.io/robot' },
    },
    {
      name: 'a token and the annotation',
      input: { serviceAccount: serviceAccount({ [ROBOT_ANNOTATION]: 'acme+puller' }) },
      plan: {
        kind: 'robot',
        robot: 'acme+puller',
        token: 'pod-token',
        subject: 'system:serviceaccount:team:app',
        issuer: 'https://oidc.example',
      },
    },
  ])('$name', ({ input, plan }) => {
    expect(planIdentity(input)).toEqual(plan);
  });
});

describe('which requests trade their token (the core judges only those)', () => {
  it.each<{ name: string; annotations?: Record<string, string>; trades: boolean }>([
    { name: 'no annotations sent', trades: false },
    { name: 'other annotations', annotations: { 'eks.amazonaws.com/ecr-role-arn': 'arn' }, trades: false },
    { name: 'the robot annotation, even malformed', annotations: { [ROBOT_ANNOTATION]: 'not a robot' }, trades: true },
  ])('$name -> $trades', ({ annotations, trades }) => {
    expect(namesRobot(annotations)).toBe(trades);
  });
});

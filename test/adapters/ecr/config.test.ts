/**
 * credkit-ecr's settings, checked before any network call: `--session-duration` within what STS
 * grants (AssumeRoleWithWebIdentity DurationSeconds, 900..43200 whole seconds), and the AWS SDKs'
 * AWS_MAX_ATTEMPTS, AWS_RETRY_MODE and AWS_CA_BUNDLE as the Go SDK reads them.
 */
import { describe, expect, it } from 'vitest';
import { awsSettings, sessionDurationSeconds } from '../../../adapters/ecr/config.ts';

describe('--session-duration', () => {
  it.each([
    { value: undefined, seconds: undefined },
    { value: '15m', seconds: 900 },
    { value: '1h', seconds: 3600 },
    { value: '1h30m', seconds: 5400 },
    { value: '90m', seconds: 5400 },
    { value: '12h', seconds: 43_200 },
    { value: '43200s', seconds: 43_200 },
  ])('$value → $seconds', ({ value, seconds }) => {
    expect(sessionDurationSeconds(value)).toBe(seconds);
  });

  it.each([
    { name: 'below STS’s 15 minutes', value: '14m59s' },
    { name: 'above STS’s 12 hours', value: '12h0m1s' },
    { name: 'a fraction of a second', value: '1h0.5s' },
    { name: 'not a duration', value: 'twelve hours' },
    { name: 'a bare number (Go durations need a unit)', value: '3600' },
    { name: 'empty', value: '' },
    { name: 'negative', value: '-1h' },
  ])('refuses $name (exit 2, names the bounds)', ({ value }) => {
    expect(() => sessionDurationSeconds(value)).toThrow(
      expect.objectContaining({ kind: 'usage', message: expect.stringContaining('15m0s to 12h0m0s') }),
    );
  });
});

describe('AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, AWS_CA_BUNDLE', () => {
  it.each([
    { name: 'nothing set', env: {}, settings: {} },
    { name: 'AWS_MAX_ATTEMPTS=3', env: { AWS_MAX_ATTEMPTS: '3' }, settings: { attempts: 3 } },
    { name: 'AWS_MAX_ATTEMPTS=1 (no retries)', env: { AWS_MAX_ATTEMPTS: '1' }, settings: { attempts: 1 } },
    { name: 'empty values are unset', env: { AWS_MAX_ATTEMPTS: '', AWS_RETRY_MODE: '' }, settings: {} },
    { name: 'AWS_RETRY_MODE=standard', env: { AWS_RETRY_MODE: 'standard' }, settings: {} },
    { name: 'AWS_RETRY_MODE=Adaptive (any case)', env: { AWS_RETRY_MODE: 'Adaptive' }, settings: {} },
    { name: 'AWS_RETRY_MODE=legacy (botocore)', env: { AWS_RETRY_MODE: 'legacy' }, settings: {} },
    { name: 'AWS_CA_BUNDLE', env: { AWS_CA_BUNDLE: '/etc/pki/aws.pem' }, settings: { caBundle: '/etc/pki/aws.pem' } },
  ])('$name', ({ env, settings }) => {
    expect(awsSettings(env)).toEqual(settings);
  });

  it.each([
    { name: 'AWS_MAX_ATTEMPTS=0', env: { AWS_MAX_ATTEMPTS: '0' }, says: 'AWS_MAX_ATTEMPTS is "0"' },
    { name: 'AWS_MAX_ATTEMPTS=three', env: { AWS_MAX_ATTEMPTS: 'three' }, says: 'whole number' },
    { name: 'AWS_MAX_ATTEMPTS=2.5', env: { AWS_MAX_ATTEMPTS: '2.5' }, says: 'whole number' },
    { name: 'AWS_RETRY_MODE=fast', env: { AWS_RETRY_MODE: 'fast' }, says: 'standard, adaptive, legacy' },
  ])('refuses $name (exit 2)', ({ env, says }) => {
    expect(() => awsSettings(env)).toThrow(
      expect.objectContaining({ kind: 'usage', message: expect.stringContaining(says) }),
    );
  });
});

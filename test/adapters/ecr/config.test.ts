/**
 * credkit-ecr's own flag values, checked before any network call: `--session-duration` within what
 * STS grants (AssumeRoleWithWebIdentity DurationSeconds, 900..43200 whole seconds).
 */
import { describe, expect, it } from 'vitest';
import { sessionDurationSeconds } from '../../../adapters/ecr/config.ts';

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

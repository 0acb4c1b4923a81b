import { describe, expect, it } from 'vitest';
import { cacheSeconds } from '../../core/cache.ts';

const NOW = Date.UTC(2026, 0, 1);
const at = (seconds: number) => new Date(NOW + seconds * 1000);
const tokenExp = (seconds: number) => NOW / 1000 + seconds;

describe('cacheSeconds', () => {
  it.each([
    { name: 'unknown expiry: do not cache', input: {}, seconds: 0 },
    { name: 'unknown expiry with a provider default', input: { unknownExpirySeconds: 120 }, seconds: 120 },
    { name: '12 h ECR token, default 5 min margin', input: { expiresAt: at(43_200) }, seconds: 42_900 },
    {
      name: 'ServiceAccount cache may outlive the pod token',
      input: { expiresAt: at(43_200), tokenExpiresAt: tokenExp(3600), cacheType: 'ServiceAccount' as const },
      seconds: 42_900,
    },
    {
      name: 'Token cache ends before the pod token',
      input: { expiresAt: at(43_200), tokenExpiresAt: tokenExp(3600), cacheType: 'Token' as const },
      seconds: 3300,
    },
    { name: 'already expired', input: { expiresAt: at(-10) }, seconds: 0 },
    { name: 'shorter than the margin', input: { expiresAt: at(200) }, seconds: 0 },
    { name: 'left over is under a minute', input: { expiresAt: at(330) }, seconds: 0 },
    { name: 'custom margin', input: { expiresAt: at(3600), safetyMarginSeconds: 60 }, seconds: 3540 },
    { name: 'an operator cap below the expiry', input: { expiresAt: at(3600), atMostSeconds: 90 }, seconds: 90 },
    { name: 'an operator cap under the minute', input: { expiresAt: at(3600), atMostSeconds: 30 }, seconds: 30 },
    { name: 'an operator cap never extends', input: { expiresAt: at(3600), atMostSeconds: 7200 }, seconds: 3300 },
    { name: 'an operator cap of unknown expiry', input: { unknownExpirySeconds: 600, atMostSeconds: 60 }, seconds: 60 },
    { name: 'a negative cap is 0', input: { expiresAt: at(3600), atMostSeconds: -5 }, seconds: 0 },
  ])('$name', ({ input, seconds }) => {
    expect(cacheSeconds({ now: NOW, ...input })).toBe(seconds);
  });
});

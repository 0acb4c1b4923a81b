import { describe, expect, it } from 'vitest';
import { judgeResponse } from '../../core/kubelet.ts';

const V1 = 'credentialprovider.kubelet.k8s.io/v1' as const;
const ok = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    kind: 'CredentialProviderResponse',
    apiVersion: V1,
    cacheKeyType: 'Registry',
    cacheDuration: '10m0s',
    auth: { 'registry.io': { username: 'u', password: 'p' } },
    ...fields,
  });

// The kubelet's response checks (research/kubelet-protocol.md §1.5) as a table: what a plugin prints → verdict.
describe('judgeResponse applies the kubelet rules', () => {
  it.each([
    { name: 'a good answer', stdout: `${ok()}\n`, valid: true, reason: undefined },
    { name: 'non-zero exit', stdout: ok(), exitCode: 1, valid: false, reason: /exit status 1/ },
    {
      name: 'a log line before the JSON',
      stdout: `I0101 starting\n${ok()}`,
      valid: false,
      reason: /error reading GVK/,
    },
    { name: 'two documents', stdout: `${ok()}\n${ok()}`, valid: false, reason: /error reading GVK/ },
    {
      name: 'apiVersion mismatch',
      stdout: ok({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1' }),
      valid: false,
      reason: /did not match expected apiVersion/,
    },
    { name: 'wrong kind', stdout: ok({ kind: 'WrongKind' }), valid: false, reason: /error decoding/ },
    { name: 'unknown field', stdout: ok({ status: {} }), valid: false, reason: /error decoding/ },
    {
      name: 'empty cacheKeyType',
      stdout: ok({ cacheKeyType: '' }),
      valid: false,
      reason: /did not return a valid cacheKeyType: ""/,
    },
    { name: 'numeric cacheDuration', stdout: ok({ cacheDuration: 600 }), valid: false, reason: /error decoding/ },
    {
      name: 'echoed token with ServiceAccount cache',
      stdout: ok({ auth: { 'registry.io': { username: 'u', password: 'the-token' } } }),
      token: 'the-token',
      cacheType: 'ServiceAccount' as const,
      valid: false,
      reason: /returned the service account token as the password/,
    },
    {
      name: 'echoed token with Token cache',
      stdout: ok({ auth: { 'registry.io': { username: 'u', password: 'the-token' } } }),
      token: 'the-token',
      cacheType: 'Token' as const,
      valid: true,
      reason: undefined,
    },
  ])('$name', ({ stdout, exitCode = 0, token, cacheType, valid, reason }) => {
    const { verdict } = judgeResponse({
      stdout,
      exitCode,
      apiVersion: V1,
      image: 'registry.io/team/app',
      serviceAccountToken: token,
      cacheType,
    });
    expect(verdict.valid).toBe(valid);
    if (reason) expect(verdict.reasons.join(' ')).toMatch(reason);
  });

  it.each([
    { name: 'explicit duration', fields: { cacheDuration: '1m0s' }, fallback: undefined, seconds: 60 },
    { name: 'zero: not cached', fields: { cacheDuration: '0s' }, fallback: '10m', seconds: 0 },
    { name: 'absent: defaultCacheDuration', fields: { cacheDuration: undefined }, fallback: '10m', seconds: 600 },
    {
      name: 'absent with no default: not cached',
      fields: { cacheDuration: undefined },
      fallback: undefined,
      seconds: 0,
    },
  ])('cache outcome: $name', ({ fields, fallback, seconds }) => {
    const { verdict } = judgeResponse({
      stdout: ok(fields),
      exitCode: 0,
      apiVersion: V1,
      image: 'registry.io/a',
      defaultCacheDuration: fallback,
    });
    expect(verdict.cacheSeconds).toBe(seconds);
  });

  it('warns on a negative duration the kubelet accepts by accident', () => {
    const { verdict } = judgeResponse({
      stdout: ok({ cacheDuration: '-1m' }),
      exitCode: 0,
      apiVersion: V1,
      image: 'registry.io/a',
    });
    expect(verdict).toMatchObject({ valid: true, cacheSeconds: 0 });
    expect(verdict.warnings[0]).toMatch(/negative cacheDuration/);
  });

  it.each([
    { cacheKeyType: 'Image', key: 'registry.io:5000/team/app' },
    { cacheKeyType: 'Registry', key: 'registry.io:5000' },
    { cacheKeyType: 'Global', key: '<global>' },
  ])('cache key for $cacheKeyType', ({ cacheKeyType, key }) => {
    const { verdict } = judgeResponse({
      stdout: ok({ cacheKeyType, auth: { 'registry.io:5000': { username: 'u', password: 'p' } } }),
      exitCode: 0,
      apiVersion: V1,
      image: 'registry.io:5000/team/app',
    });
    expect(verdict.cacheKey).toBe(key);
    expect(verdict.matchingKeys).toEqual(['registry.io:5000']);
  });

  it('warns when no auth key matches (a port-less key for an image with a port)', () => {
    const { verdict } = judgeResponse({ stdout: ok(), exitCode: 0, apiVersion: V1, image: 'registry.io:5000/a' });
    expect(verdict.matchingKeys).toEqual([]);
    expect(verdict.warnings[0]).toMatch(/no auth key matches/);
  });
});

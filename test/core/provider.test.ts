import { describe, expect, it } from 'vitest';
import { CredkitError, ERROR_KINDS, oneLine, toCredkitError } from '../../core/errors.ts';
import { defineProvider, isProvider, tokenAttributesOf } from '../../core/provider.ts';

const base = { matchImages: ['registry.example.com'], getCredentials: async () => null };

describe('defineProvider checks the declaration once', () => {
  it.each([
    { name: 'a slash in the name', definition: { ...base, name: 'a/b' }, error: /not a valid kubelet provider name/ },
    { name: 'a space in the name', definition: { ...base, name: 'a b' }, error: /not a valid kubelet provider name/ },
    { name: 'the name ..', definition: { ...base, name: '..' }, error: /not a valid kubelet provider name/ },
    { name: 'no matchImages', definition: { ...base, name: 'p', matchImages: [] }, error: /at least one matchImages/ },
    {
      name: 'a key both required and optional',
      definition: { ...base, name: 'p', annotations: { required: ['a.io/x'], optional: ['a.io/x'] } },
      error: /both required and optional: a\.io\/x/,
    },
  ])('refuses $name', ({ definition, error }) => {
    expect(() => defineProvider(definition)).toThrow(error);
  });

  it('marks what it returns as a provider', () => {
    expect(isProvider(defineProvider({ ...base, name: 'p' }))).toBe(true);
    expect(isProvider({ ...base, name: 'p' })).toBe(false);
  });
});

describe('tokenAttributesOf: one declaration for the kubelet config', () => {
  it.each([
    { name: 'no audience: takes no tokens', definition: {}, flags: {}, expected: undefined },
    {
      name: 'defaults',
      definition: { audience: 'sts.amazonaws.com' },
      flags: {},
      expected: {
        audience: 'sts.amazonaws.com',
        cacheType: 'ServiceAccount',
        requireServiceAccount: false,
        requiredAnnotations: [],
        optionalAnnotations: [],
      },
    },
    {
      name: 'declared annotations and Token cache',
      definition: {
        audience: 'a',
        cacheType: 'Token' as const,
        requireServiceAccount: true,
        annotations: { required: ['x.io/r'], optional: ['x.io/o'] },
      },
      flags: {},
      expected: {
        audience: 'a',
        cacheType: 'Token',
        requireServiceAccount: true,
        requiredAnnotations: ['x.io/r'],
        optionalAnnotations: ['x.io/o'],
      },
    },
    {
      name: 'an audience that depends on a flag',
      definition: {
        audience: ({ flags }: { flags: Record<string, unknown> }) =>
          flags.project ? `${flags.project}.svc.id.goog` : undefined,
      },
      flags: { project: 'p1' },
      expected: {
        audience: 'p1.svc.id.goog',
        cacheType: 'ServiceAccount',
        requireServiceAccount: false,
        requiredAnnotations: [],
        optionalAnnotations: [],
      },
    },
    ...[true, false].map((irsa) => ({
      name: `annotation keys that depend on a flag (${irsa ? 'on' : 'off'})`,
      definition: {
        audience: 'a',
        annotations: ({ flags }: { flags: Record<string, unknown> }) => ({
          optional: flags.irsa ? ['x.io/o', 'x.io/irsa'] : ['x.io/o'],
        }),
      },
      flags: { irsa },
      expected: {
        audience: 'a',
        cacheType: 'ServiceAccount',
        requireServiceAccount: false,
        requiredAnnotations: [],
        optionalAnnotations: irsa ? ['x.io/o', 'x.io/irsa'] : ['x.io/o'],
      },
    })),
  ])('$name', ({ definition, flags, expected }) => {
    const provider = defineProvider({ ...base, name: 'p', ...definition } as Parameters<typeof defineProvider>[0]);
    expect(tokenAttributesOf(provider, { flags: flags as never, env: {} })).toEqual(expected);
  });
});

describe('errors', () => {
  it.each(Object.entries(ERROR_KINDS))('%s exits with %i', (kind, code) => {
    expect(new CredkitError(kind as keyof typeof ERROR_KINDS, 'x').exitCode).toBe(code);
  });

  it.each([
    { name: 'a CredkitError keeps its kind', thrown: new CredkitError('denied', 'no'), kind: 'denied', message: 'no' },
    { name: 'an Error becomes internal', thrown: new Error('boom'), kind: 'internal', message: 'boom' },
    {
      name: 'an abort becomes the deadline',
      thrown: Object.assign(new Error('aborted'), { name: 'AbortError' }),
      kind: 'deadline',
      message: /deadline passed/,
    },
    { name: 'a thrown string', thrown: 'plain', kind: 'internal', message: 'plain' },
  ])('$name', ({ thrown, kind, message }) => {
    const error = toCredkitError(thrown);
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(message);
  });

  it('collapses messages to one line for the kubelet log', () => {
    expect(oneLine('first\n  second\r\nthird  ')).toBe('first second third');
  });
});

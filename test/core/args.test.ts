import { describe, expect, it } from 'vitest';
import { helpText, parseProviderArgs } from '../../core/args.ts';
import { CredkitError } from '../../core/errors.ts';
import { defineProvider } from '../../core/provider.ts';

const provider = defineProvider({
  name: 'p',
  matchImages: ['*.example.com'],
  flags: { 'registry-mirror': { type: 'string', description: 'mirrors' } },
  positionals: '[config.json]',
  getCredentials: async () => null,
});

describe('parseProviderArgs', () => {
  it.each([
    { name: 'defaults', argv: [], check: { verbosity: 0, logFormat: 'text', timeoutMs: 50_000 } },
    { name: 'klog verbosity', argv: ['--v=4'], check: { verbosity: 4 } },
    { name: 'json logs', argv: ['--log-format=json'], check: { logFormat: 'json' } },
    { name: 'timeout', argv: ['--timeout', '10s'], check: { timeoutMs: 10_000 } },
    { name: 'audience override', argv: ['--token-audience=custom'], check: { tokenAudience: 'custom' } },
    { name: 'klog compatibility flags', argv: ['--logtostderr'], check: { verbosity: 0 } },
  ])('$name', ({ argv, check }) => {
    expect(parseProviderArgs(provider, argv).common).toMatchObject(check);
  });

  it('passes provider flags and positionals through', () => {
    const parsed = parseProviderArgs(provider, ['/etc/kubernetes/azure.json', '--registry-mirror=a:b']);
    expect(parsed.flags['registry-mirror']).toBe('a:b');
    expect(parsed.positionals).toEqual(['/etc/kubernetes/azure.json']);
  });

  it.each([
    { name: 'unknown flag', argv: ['--bogus'], message: /Unknown option '--bogus': see --help/ },
    { name: 'bad verbosity', argv: ['--v=loud'], message: /--v must be a whole number/ },
    { name: 'bad log format', argv: ['--log-format=yaml'], message: /--log-format must be text or json/ },
    { name: 'bad timeout', argv: ['--timeout=5'], message: /--timeout must be a Go duration/ },
    { name: 'zero timeout', argv: ['--timeout=0s'], message: /--timeout must be positive/ },
  ])('$name is a one-line usage error', ({ argv, message }) => {
    try {
      parseProviderArgs(provider, argv);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CredkitError);
      expect((error as CredkitError).kind).toBe('usage');
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('refuses positionals when the provider takes none', () => {
    const plain = defineProvider({ name: 'q', matchImages: ['x.io'], getCredentials: async () => null });
    expect(() => parseProviderArgs(plain, ['extra'])).toThrow(/unexpected argument "extra"/);
  });

  it('documents every flag in --help', () => {
    const text = helpText(provider);
    for (const flag of ['--v', '--log-format', '--timeout', '--token-audience', '--registry-mirror', '[config.json]']) {
      expect(text).toContain(flag);
    }
  });
});

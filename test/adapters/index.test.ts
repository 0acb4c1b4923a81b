/**
 * The registered adapters' descriptors (adapters/index.ts) keep the promises the CLI, the build,
 * the demo, the bench and the test support rely on when they loop over them.
 */
import { describe, expect, it } from 'vitest';
import { ADAPTERS, adapterNamed } from '../../adapters/index.ts';
import { isProvider, parseProviderArgs, tokenAttributesOf } from '../../core/index.ts';

describe.each(ADAPTERS.map((adapter) => ({ name: adapter.name, adapter })))(
  'the $name descriptor',
  ({ name, adapter }) => {
    it('is found by its name, once', () => {
      expect(adapterNamed(name)).toBe(adapter);
      expect(ADAPTERS.filter((other) => other.name === name)).toHaveLength(1);
    });

    it('names the binary its provider declares, built from adapters/<name>/provider.ts', async () => {
      const provider = await adapter.provider();
      expect(isProvider(provider)).toBe(true);
      expect(provider.name).toBe(adapter.binary);
      // scripts/binaries.ts builds the binary from this module's `provider` export.
      const module = (await import(`../../adapters/${name}/provider.ts`)) as { provider?: unknown };
      expect(module.provider).toBe(provider);
    });

    it('its default args are a command line the provider accepts, and its trust notes name the audience', async () => {
      const provider = await adapter.provider();
      const parsed = parseProviderArgs(provider, [...adapter.defaultArgs]);
      const attributes = tokenAttributesOf(provider, { flags: parsed.flags, env: {} }) ?? {
        audience: 'an-audience.example',
        cacheType: 'ServiceAccount' as const,
        requireServiceAccount: false,
        requiredAnnotations: [],
        optionalAnnotations: [],
      };
      const notes = adapter.trustNotes(attributes).join('\n');
      expect(notes).toContain(attributes.audience);
    });
  },
);

import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../adapters/quay/config.ts';
import { isQuayRegistry } from '../../../adapters/quay/registry.ts';
import { parseImage } from '../../../core/index.ts';

describe('which images are Quay’s (the kubelet’s URLsMatch)', () => {
  const quayIo = readConfig({});
  const selfHosted = readConfig({ registry: ['quay.example.com', 'quay.example.com:8443'] });
  it.each([
    { image: 'quay.io/acme/app', config: quayIo, ours: true },
    { image: 'quay.io/acme/app:v1', config: quayIo, ours: true },
    { image: `quay.io/acme/app@sha256:${'a'.repeat(64)}`, config: quayIo, ours: true },
    { image: 'quay.io:443/acme/app', config: quayIo, ours: false },
    { image: 'cdn.quay.io/acme/app', config: quayIo, ours: false },
    { image: 'quay.io.evil.example/acme/app', config: quayIo, ours: false },
    { image: 'docker.io/library/nginx', config: quayIo, ours: false },
    { image: 'quay.example.com/platform/tool', config: quayIo, ours: false },
    { image: 'quay.example.com/platform/tool', config: selfHosted, ours: true },
    { image: 'quay.example.com:8443/platform/tool', config: selfHosted, ours: true },
    { image: 'quay.example.com:9443/platform/tool', config: selfHosted, ours: false },
    { image: 'quay.io/acme/app', config: selfHosted, ours: false },
  ])('$image -> $ours', ({ image, config, ours }) => {
    expect(isQuayRegistry(parseImage(image), config)).toBe(ours);
  });
});

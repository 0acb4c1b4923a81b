/**
 * Which images are Quay's: those whose registry (`host[:port]`) is one of the configured Quay hosts,
 * compared as the kubelet compares them. The robot token is keyed to that registry alone, so it
 * never goes to any other host.
 */
import { type ImageRef, urlsMatch } from '../../core/index.ts';
import type { QuayConfig } from './config.ts';

/** kubelet matchImages for the default host; self-hosted hosts are added to the config by hand (docs/quay.md). */
export const MATCH_IMAGES = ['quay.io'];

/** Whether an image lives on one of the configured Quay registries. */
export function isQuayRegistry(image: ImageRef, config: QuayConfig): boolean {
  return config.registries.some((registry) => urlsMatch(registry, image.name));
}

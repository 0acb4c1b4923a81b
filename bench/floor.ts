/**
 * The runtime floor: an executable of the same back-end that only prints a fixed response. Written
 * the cheapest way the runtime allows (one fd write, no stdin, no streams), so "ratio to floor"
 * measures what credkit adds on top of starting the runtime at all.
 */
import { writeSync } from 'node:fs';

writeSync(
  1,
  '{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Registry","cacheDuration":"0s"}\n',
);

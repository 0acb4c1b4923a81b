/**
 * The network floor: what an exec costs when it does nothing but its round trips. Compiled like the
 * product binaries (same runtime, same bun flags), it reads the kubelet's request from stdin, makes
 * the round trips a real binary made for the same kind of request (recorded by bench/plan.ts from
 * the fakes, one plan file per binary and request kind, its path the only argument), with this
 * request's token and annotations put back where the recording had its own, through the same proxy
 * with the same CA (bun's fetch, its proxy option and NODE_EXTRA_CA_CERTS, as core/http-fetch.ts),
 * one after another, reads each answer in full, and prints a fixed response.
 *
 * Written the cheapest way the runtime allows: fd reads and writes, no streams, no schema, no
 * logger. "× network floor" is what a binary costs on top of its unavoidable round trips.
 */
import { readFileSync, readSync, writeSync } from 'node:fs';

interface Step {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

// `credkit build` checks that a fresh binary starts by running it with --version.
if (process.argv[2] === '--version') {
  writeSync(1, 'network-floor\n');
  process.exit(0);
}

function readStdin(): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  for (;;) {
    const read = readSync(0, buffer, 0, buffer.length, null);
    if (read === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, read)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

const request = JSON.parse(readStdin()) as {
  serviceAccountToken?: string;
  serviceAccountAnnotations?: Record<string, string>;
};
const annotations = request.serviceAccountAnnotations ?? {};
const fill = (text: string) =>
  text.replace(/\{\{(token|ann|ann-uri)(?::([^}]*))?\}\}/g, (_, kind: string, key: string) => {
    if (kind === 'token') return request.serviceAccountToken ?? '';
    const value = annotations[key] ?? '';
    return kind === 'ann-uri' ? encodeURIComponent(value) : value;
  });

// Only bun's fetch takes a proxy option; anywhere else the recorded real host names would be dialled.
if (!process.versions.bun) {
  writeSync(2, 'network floor: needs the bun runtime (its fetch proxy option)\n');
  process.exit(2);
}
const steps = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Step[];
const env = process.env;
for (const step of steps) {
  const url = fill(step.url);
  const proxy = url.startsWith('https:')
    ? (env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy)
    : (env.HTTP_PROXY ?? env.http_proxy);
  if (!proxy) {
    writeSync(2, `network floor: no proxy variable for ${new URL(url).host}: refusing to dial it directly\n`);
    process.exit(2);
  }
  const headers = Object.fromEntries(Object.entries(step.headers).map(([name, value]) => [name, fill(value)]));
  const response = await fetch(url, {
    method: step.method,
    headers,
    ...(step.body === null ? {} : { body: fill(step.body) }),
    redirect: 'manual',
    proxy,
  } as RequestInit);
  await response.arrayBuffer();
}

writeSync(
  1,
  '{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Registry","cacheDuration":"0s"}\n',
);

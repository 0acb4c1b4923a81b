/**
 * The storm's spawner (bench/storm.c through measuredStorm): every exec gets its own argv, env and
 * request on a pipe, and comes back judged exactly as runLikeKubelet judges the same run.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measuredStorm, prepareRusage } from '../../bench/measure.ts';
import { type KubeletRun, runLikeKubelet } from '../../core/testing/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'credkit-storm-test-'));
const IMAGE = 'registry.example.com/app:1';

/** A provider as a shell script: answers with a password made of its env and what it read. */
function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const answer = (password: string) =>
  `printf '{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Registry","cacheDuration":"60s","auth":{"registry.example.com":{"username":"u","password":"%s"}}}\\n' "${password}"`;

let providers: Record<string, string>;

beforeAll(() => {
  prepareRusage();
  providers = {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${#line}, the request's length
    echoes: script('echoes', `read -r line\n${answer('$WHO-$1-${#line}')}`),
    // The kubelet (Go's os/exec) hands the request over a pipe; node's spawn uses a socket pair.
    piped: script('piped', `[ -p /dev/stdin ] || exit 9\n${answer('pipe')}`),
    fails: script('fails', 'echo "no credential for you" >&2\nexit 3'),
    killed: script('killed', 'kill -KILL $$'),
    garbage: script('garbage', 'echo not-json'),
  };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('measuredStorm', () => {
  it.each([
    { name: 'a valid answer from the request, its own argv and env', provider: 'echoes', exitCode: 0, valid: true },
    { name: 'a non-zero exit, stderr kept', provider: 'fails', exitCode: 3, valid: false, stderr: 'no credential' },
    { name: 'killed by a signal', provider: 'killed', exitCode: null, signal: 'SIGKILL', valid: false },
    { name: 'not JSON', provider: 'garbage', exitCode: 0, valid: false },
  ])('$name: the same verdict as runLikeKubelet', async ({ provider, exitCode, valid, signal, stderr }) => {
    const run: KubeletRun = {
      command: [providers[provider] as string, 'arg'],
      image: IMAGE,
      inheritedEnv: { PATH: '/usr/bin:/bin', WHO: 'one' },
    };
    const [stormed] = await measuredStorm([run]);
    const alone = await runLikeKubelet(run);
    expect(stormed?.result.exitCode).toBe(exitCode);
    expect(stormed?.result.signal).toBe(signal ?? null);
    expect(stormed?.result.verdict.valid).toBe(valid);
    expect(stormed?.result.verdict).toEqual(alone.verdict);
    expect(stormed?.result.stdout).toBe(alone.stdout);
    if (stderr) expect(stormed?.result.stderr).toContain(stderr);
    expect(stormed?.usage.wallMs).toBeGreaterThan(0);
    expect(stormed?.usage.rssKiB).toBeGreaterThan(0);
  });

  it('the request comes on a pipe, as from the kubelet', async () => {
    const [stormed] = await measuredStorm([{ command: [providers.piped as string], image: IMAGE, inheritedEnv: {} }]);
    expect(stormed?.result.exitCode).toBe(0);
    expect(stormed?.result.response?.auth?.['registry.example.com']?.password).toBe('pipe');
  });

  it('32 at once: each answer is its own exec’s (argv, env and request)', async () => {
    const runs: KubeletRun[] = Array.from({ length: 32 }, (_, i) => ({
      command: [providers.echoes as string, `n${i}`],
      image: `${IMAGE.replace(':1', '')}/${'x'.repeat(i)}:1`,
      inheritedEnv: { PATH: '/usr/bin:/bin', WHO: `who${i}` },
    }));
    const results = await measuredStorm(runs);
    expect(results).toHaveLength(32);
    for (const [i, { result }] of results.entries()) {
      expect(result.verdict.valid).toBe(true);
      const requestLength = (result.request.length - 1).toString();
      expect(result.response?.auth?.['registry.example.com']?.password).toBe(`who${i}-n${i}-${requestLength}`);
    }
  });
});

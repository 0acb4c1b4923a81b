/**
 * The permanent fault matrix (issue 11): every registered adapter's compiled binary, on its
 * service account exchange, against a network that misbehaves: endpoints that hang, trickle,
 * fail, throttle, reset or cut their answer, answer too much or nonsense; a wrong CA; a proxy that
 * is dead or refuses the tunnel; names that do not resolve. Each must end with the right exit code,
 * one line that names what failed and what to check, inside its time bound, and retry only what is
 * transient. The deadline is shrunk (--timeout=3s) so the slow cases stay short.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_KINDS } from '../../core/errors.ts';
import { createTestCA, type Fault, type KubeletResult, runLikeKubelet } from '../../core/testing/index.ts';
import { lineProblems, signatureOf, startTarget, TARGETS, type Target } from './harness.ts';

const DEADLINE = ['--timeout=3s'];
const proxyVariables = (url: string) => ({ HTTPS_PROXY: url, https_proxy: url, HTTP_PROXY: url, http_proxy: url });

/** A CONNECT proxy that answers every tunnel with `status`, counting them. */
interface RefusingProxy {
  url: string;
  connects: number;
  close(): Promise<void>;
}
async function refusingProxy(status: string): Promise<RefusingProxy> {
  const server: Server = createServer();
  const proxy = { url: '', connects: 0, close: () => new Promise<void>((r) => server.close(() => r())) };
  server.on('connect', (_req, socket: Socket) => {
    proxy.connects++;
    socket.on('error', () => {});
    socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Shared {
  proxies: Record<'403' | '407' | '503', RefusingProxy>;
  deadProxy: string;
  otherCaFile: string;
}

interface Arranged {
  env?: Record<string, string>;
  /** Runs the binary inside a new network namespace (loopback only, no route, no resolver). */
  isolated?: boolean;
}

interface FaultCase {
  name: string;
  /** Faults every fake endpoint of the world serves, for its next `times` requests. */
  fault?: { fault: Fault; times: number };
  arrange?(shared: Shared): Arranged;
  args?: string[];
  exit: number;
  line: RegExp;
  /** Wall time bound of the exec, ms. */
  maxMs: number;
  /** The exec's calls to the fakes (through the proxy) and, for refusing proxies, its CONNECTs. */
  calls?: (counts: { fakes: number; proxy: number }) => boolean;
  /** What `calls` means, for the failure message. */
  callsRule?: string;
  /** Lines with `retrying` at --v=2 (the case runs at --v=2 then). */
  retries?: number;
}

const ALWAYS = 100;
const CASES: FaultCase[] = [
  {
    name: 'an endpoint that never answers: the deadline, naming the call it waited for',
    fault: { fault: { delayMs: 20_000 }, times: ALWAYS },
    args: DEADLINE,
    exit: ERROR_KINDS.deadline,
    line: /no credential within the 3s deadline: waiting for \S.* \([a-z0-9.-]+(:\d+)?\)/,
    maxMs: 6_000,
  },
  {
    name: 'an answer that trickles a byte at a time: cut at the deadline',
    fault: { fault: { transport: 'trickle', trickleMs: 300 }, times: ALWAYS },
    args: DEADLINE,
    exit: ERROR_KINDS.deadline,
    line: /no credential within the 3s deadline: waiting for \S.* \(/,
    maxMs: 6_000,
  },
  {
    name: '503 on every call: retried, then unavailable',
    fault: { fault: { status: 503, body: 'down for maintenance' }, times: ALWAYS },
    exit: ERROR_KINDS.unavailable,
    line: /503/,
    maxMs: 15_000,
    calls: ({ fakes }) => fakes >= 2,
    callsRule: 'retried (2 or more calls)',
  },
  {
    name: '429 with Retry-After: 1 on the first call of each endpoint: honoured, then served',
    fault: { fault: { status: 429, headers: { 'retry-after': '1' }, body: '{}' }, times: 1 },
    exit: 0,
    line: /^$/,
    maxMs: 15_000,
    calls: ({ fakes }) => fakes >= 2,
    callsRule: 'the throttled call made again',
  },
  {
    name: 'connections reset before any answer: retried, then unavailable',
    fault: { fault: { transport: 'reset' }, times: ALWAYS },
    exit: ERROR_KINDS.unavailable,
    line: /closed the connection/,
    maxMs: 15_000,
    calls: ({ fakes }) => fakes >= 2,
    callsRule: 'retried',
  },
  {
    name: 'answers cut in half: truncated, retried, then unavailable',
    fault: { fault: { transport: 'truncate' }, times: ALWAYS },
    exit: ERROR_KINDS.unavailable,
    line: /closed the connection before its answer was complete/,
    maxMs: 15_000,
    calls: ({ fakes }) => fakes >= 2,
    callsRule: 'retried',
  },
  {
    name: 'an answer over the size cap: final, not retried',
    fault: { fault: { status: 200, body: 'x'.repeat(3 << 20) }, times: ALWAYS },
    exit: ERROR_KINDS.unavailable,
    line: /sent an answer larger than \d+ bytes/,
    maxMs: 10_000,
    calls: ({ fakes }) => fakes === 1,
    callsRule: 'exactly one call',
  },
  {
    name: 'a 200 answer that is not what was asked: final, not retried',
    fault: { fault: { status: 200, body: '<html><body>captive portal</body></html>' }, times: ALWAYS },
    exit: ERROR_KINDS.unavailable,
    line: /answered 200 (with a body it cannot read|without a valid)/,
    maxMs: 10_000,
    calls: ({ fakes }) => fakes === 1,
    callsRule: 'exactly one call',
  },
  {
    name: 'a CA the node does not trust: final, says NODE_EXTRA_CA_CERTS',
    arrange: (shared) => ({ env: { NODE_EXTRA_CA_CERTS: shared.otherCaFile, SSL_CERT_FILE: shared.otherCaFile } }),
    exit: ERROR_KINDS.unavailable,
    line: /TLS to \S.* failed: its certificate is not signed by a trusted CA \(\w+\): .*NODE_EXTRA_CA_CERTS/,
    maxMs: 10_000,
    calls: ({ fakes, proxy }) => fakes === 0 && proxy === 1,
    callsRule: 'one tunnel, no answer read, not retried',
  },
  {
    name: 'a proxy that refuses the tunnel (403): names the proxy and its status, final',
    arrange: (shared) => ({ env: proxyVariables(shared.proxies['403'].url) }),
    exit: ERROR_KINDS.unavailable,
    line: /the proxy 127\.0\.0\.1:\d+ answered 403 Forbidden to CONNECT [a-z0-9.-]+:443 .*: it does not allow this destination: allow .* on the proxy, or list it in NO_PROXY/,
    maxMs: 10_000,
    calls: ({ fakes }) => fakes === 0,
    callsRule: 'nothing reached the cloud',
  },
  {
    name: 'a proxy that wants credentials (407): names the proxy and its status, final',
    arrange: (shared) => ({ env: proxyVariables(shared.proxies['407'].url) }),
    exit: ERROR_KINDS.unavailable,
    line: /the proxy 127\.0\.0\.1:\d+ answered 407 Proxy Authentication Required to CONNECT .*: it wants credentials: put them in HTTPS_PROXY/,
    maxMs: 10_000,
    calls: ({ fakes }) => fakes === 0,
    callsRule: 'nothing reached the cloud',
  },
  {
    name: 'a proxy that answers 503 to CONNECT: retried, then names the proxy',
    arrange: (shared) => ({ env: proxyVariables(shared.proxies['503'].url) }),
    exit: ERROR_KINDS.unavailable,
    line: /the proxy 127\.0\.0\.1:\d+ answered 503 Service Unavailable to CONNECT .*: check HTTPS_PROXY\/NO_PROXY/,
    maxMs: 15_000,
    calls: ({ fakes }) => fakes === 0,
    callsRule: 'nothing reached the cloud',
  },
  {
    name: 'a dead proxy: retried, then names the proxy',
    arrange: (shared) => ({ env: proxyVariables(shared.deadProxy) }),
    exit: ERROR_KINDS.unavailable,
    line: /the proxy 127\.0\.0\.1:\d+ refused the connection \(ECONNREFUSED\) on the way to .*: check HTTPS_PROXY\/NO_PROXY/,
    maxMs: 15_000,
  },
  {
    name: 'the proxy name does not resolve: one more try, then names the proxy',
    arrange: () => ({ env: proxyVariables('http://proxy.corp.test:3128'), isolated: true }),
    args: ['--v=2'],
    exit: ERROR_KINDS.unavailable,
    line: /the proxy proxy\.corp\.test:3128 does not resolve \((EAI_AGAIN|ENOTFOUND)\): check HTTPS_PROXY\/NO_PROXY and DNS/,
    maxMs: 10_000,
    retries: 1,
  },
  {
    name: 'the cloud host does not resolve (no proxy): one more try, then names the host',
    arrange: () => ({ env: { ...proxyVariables(''), NO_PROXY: '*', no_proxy: '*' }, isolated: true }),
    args: ['--v=2'],
    exit: ERROR_KINDS.unavailable,
    line: /[a-z0-9.-]+ does not resolve \((EAI_AGAIN|ENOTFOUND)\): check the node's DNS/,
    maxMs: 10_000,
    retries: 1,
  },
];

interface Outcome {
  result: KubeletResult;
  fakes: number;
  proxy: number;
}

const outcomes = new Map<string, Map<string, Outcome>>();
const targets: Target[] = [];
const shared = new Map<string, Shared>();

/** The exchange of service account 0 under one fault, alone on its world (faults are world-wide). */
async function runFault(target: Target, testCase: FaultCase, own: Shared): Promise<Outcome> {
  const { world } = target.scenario;
  const base = target.serviceAccount;
  const arranged = testCase.arrange?.(own) ?? {};
  if (testCase.fault) {
    for (const server of world.servers) server.faults.push('*', testCase.fault.fault, testCase.fault.times);
  }
  const refusing = Object.values(own.proxies);
  const before = {
    fakes: world.servers.reduce((sum, server) => sum + server.calls(), 0),
    proxy: world.proxy.connects.length + refusing.reduce((sum, proxy) => sum + proxy.connects, 0),
  };
  try {
    const command = arranged.isolated ? ['unshare', '--net', '--', ...target.command] : target.command;
    const result = await runLikeKubelet({
      command: [...command, ...base.args, ...(testCase.args ?? [])],
      ...base.run,
      env: { ...base.run.env, ...arranged.env },
      timeoutMs: 30_000,
    });
    return {
      result,
      fakes: world.servers.reduce((sum, server) => sum + server.calls(), 0) - before.fakes,
      proxy: world.proxy.connects.length + refusing.reduce((sum, proxy) => sum + proxy.connects, 0) - before.proxy,
    };
  } finally {
    for (const server of world.servers) server.faults.clear();
  }
}

beforeAll(async () => {
  const otherCa = await createTestCA('a CA nobody trusts');
  // Fault cases share a world, so they run one at a time per binary; the binaries run side by side,
  // each with refusing proxies of its own (their CONNECT counts are per binary).
  await Promise.all(
    TARGETS.map(async (adapter) => {
      const [p403, p407, p503] = await Promise.all(
        ['403 Forbidden', '407 Proxy Authentication Required', '503 Service Unavailable'].map(refusingProxy),
      );
      const own: Shared = {
        proxies: { '403': p403!, '407': p407!, '503': p503! },
        deadProxy: `http://127.0.0.1:${await closedPort()}`,
        otherCaFile: otherCa.caFile,
      };
      shared.set(adapter.binary, own);
      const target = await startTarget(adapter);
      targets.push(target);
      const byCase = new Map<string, Outcome>();
      for (const testCase of CASES) byCase.set(testCase.name, await runFault(target, testCase, own));
      outcomes.set(adapter.binary, byCase);
    }),
  );
}, 290_000);

afterAll(async () => {
  const slowest = [...outcomes.entries()].flatMap(([binary, byCase]) =>
    [...byCase.entries()].map(([name, outcome]) => ({ binary, name, ms: outcome.result.durationMs })),
  );
  const top = slowest.sort((a, b) => b.ms - a.ms)[0];
  if (top) process.stderr.write(`[fault matrix] slowest: ${top.binary} "${top.name}" ${Math.round(top.ms)} ms\n`);
  const proxies = [...shared.values()].flatMap((own) => Object.values(own.proxies));
  await Promise.all([...targets.map((target) => target.close()), ...proxies.map((proxy) => proxy.close())]);
});

it('isolates execs in a network namespace of their own (for the DNS rows)', () => {
  expect(execFileSync('unshare', ['--net', '--', 'true']).toString()).toBe('');
});

describe.each(TARGETS.map((adapter) => ({ binary: adapter.binary })))('$binary: fault matrix', ({ binary }) => {
  it.each(CASES)('$name', (testCase) => {
    const { result, fakes, proxy } = outcomes.get(binary)!.get(testCase.name)!;
    const target = targets.find((t) => t.adapter.binary === binary)!;
    const token = target.serviceAccount.run.serviceAccountToken;
    const verbosity = testCase.args?.includes('--v=2') ? 2 : 0;
    const secrets = [token, signatureOf(token)].filter((s): s is string => !!s);
    expect(lineProblems(result, { verbosity, secrets })).toEqual([]);
    expect(result.exitCode).toBe(testCase.exit);
    expect(result.durationMs).toBeLessThan(testCase.maxMs);
    const errorLine =
      result.stderr
        .trimEnd()
        .split('\n')
        .find((line) => line.startsWith('E')) ?? '';
    if (testCase.exit !== 0) expect(errorLine).toMatch(testCase.line);
    else expect(result.verdict.valid).toBe(true);
    if (testCase.calls)
      expect({ fakes, proxy, rule: testCase.callsRule, ok: testCase.calls({ fakes, proxy }) }).toMatchObject({
        ok: true,
      });
    if (testCase.retries !== undefined)
      expect(result.stderr.match(/\] retrying /g) ?? []).toHaveLength(testCase.retries);
  });
});

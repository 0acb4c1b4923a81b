import { describe, expect, it } from 'vitest';
import { CredkitError } from '../../core/errors.ts';
import { AnswerTooLarge, describeNetworkError, NetworkFault } from '../../core/fault.ts';

const url = new URL('https://sts.amazonaws.com/');
const proxy = 'http://alice:pr0xy-pass@proxy.corp:3128';
const coded = (code: string, message = code, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { code, ...extra });

// One classification for both transports: node's errors and bun's fetch errors share their codes.
describe('describeNetworkError: one fault classification for every adapter', () => {
  it.each([
    {
      name: 'reset',
      error: coded('ECONNRESET'),
      fault: 'reset',
      retry: 'transient',
      line: /^STS \(sts\.amazonaws\.com\) closed the connection \(ECONNRESET\)$/,
    },
    {
      name: 'reset mid-answer',
      error: coded('ECONNRESET'),
      answering: true,
      fault: 'truncated',
      retry: 'transient',
      line: /closed the connection before its answer was complete/,
    },
    {
      name: "node's aborted body",
      error: new Error('aborted'),
      answering: true,
      fault: 'truncated',
      retry: 'transient',
      line: /before its answer was complete/,
    },
    {
      name: 'refused',
      error: coded('ECONNREFUSED'),
      fault: 'refused',
      retry: 'transient',
      line: /refused the connection \(ECONNREFUSED\): check that it is reachable, or check HTTPS_PROXY\/NO_PROXY/,
    },
    {
      name: 'unreachable',
      error: coded('EHOSTUNREACH'),
      fault: 'unreachable',
      retry: 'transient',
      line: /cannot be reached \(EHOSTUNREACH\)/,
    },
    {
      name: 'DNS',
      error: coded('ENOTFOUND'),
      fault: 'dns',
      retry: 'dns',
      line: /^sts\.amazonaws\.com does not resolve \(ENOTFOUND\): check the node's DNS/,
    },
    {
      name: 'DNS, temporary',
      error: coded('EAI_AGAIN'),
      fault: 'dns',
      retry: 'dns',
      line: /does not resolve \(EAI_AGAIN\)/,
    },
    {
      name: 'DNS of the proxy',
      error: coded('EAI_AGAIN'),
      proxy,
      fault: 'dns',
      retry: 'dns',
      line: /^the proxy proxy\.corp:3128 does not resolve \(EAI_AGAIN\): check HTTPS_PROXY\/NO_PROXY and DNS$/,
    },
    {
      name: 'wrong CA',
      error: coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      fault: 'tls',
      retry: 'final',
      line: /^TLS to STS \(sts\.amazonaws\.com\) failed: its certificate is not signed by a trusted CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): .*NODE_EXTRA_CA_CERTS/,
    },
    {
      name: 'self-signed',
      error: coded('DEPTH_ZERO_SELF_SIGNED_CERT'),
      fault: 'tls',
      retry: 'final',
      line: /NODE_EXTRA_CA_CERTS/,
    },
    {
      name: 'self-signed in chain',
      error: coded('SELF_SIGNED_CERT_IN_CHAIN'),
      fault: 'tls',
      retry: 'final',
      line: /NODE_EXTRA_CA_CERTS/,
    },
    {
      name: 'hostname mismatch',
      error: coded('ERR_TLS_CERT_ALTNAME_INVALID'),
      fault: 'tls',
      retry: 'final',
      line: /its certificate is for another host .*NODE_EXTRA_CA_CERTS/,
    },
    {
      name: 'not TLS on the port',
      error: coded('EPROTO'),
      fault: 'tls',
      retry: 'final',
      line: /the TLS handshake failed \(EPROTO\)/,
    },
    {
      name: 'OpenSSL error',
      error: coded('ERR_SSL_WRONG_VERSION_NUMBER'),
      fault: 'tls',
      retry: 'final',
      line: /\(ERR_SSL_WRONG_VERSION_NUMBER\)/,
    },
    {
      name: 'TLS through a proxy',
      error: coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      proxy,
      fault: 'tls',
      retry: 'final',
      line: /^TLS to STS \(sts\.amazonaws\.com\) through the proxy proxy\.corp:3128 failed/,
    },
    {
      name: 'proxy 407',
      error: coded('ERR_PROXY_TUNNEL', 'x', { status: 407, statusText: 'Proxy Authentication Required' }),
      proxy,
      fault: 'proxy',
      retry: 'final',
      line: /^the proxy proxy\.corp:3128 answered 407 Proxy Authentication Required to CONNECT sts\.amazonaws\.com:443 \(for STS \(sts\.amazonaws\.com\)\): it wants credentials/,
    },
    {
      name: 'proxy 403',
      error: coded('ERR_PROXY_TUNNEL', 'x', { status: 403, statusText: 'Forbidden' }),
      proxy,
      fault: 'proxy',
      retry: 'final',
      line: /answered 403 Forbidden .*allow sts\.amazonaws\.com on the proxy, or list it in NO_PROXY/,
    },
    {
      name: 'proxy 502',
      error: coded('ERR_PROXY_TUNNEL', 'x', { status: 502, statusText: 'Bad Gateway' }),
      proxy,
      fault: 'proxy',
      retry: 'transient',
      line: /answered 502 Bad Gateway .*check HTTPS_PROXY\/NO_PROXY/,
    },
    {
      name: 'proxy refuses connections',
      error: coded('ECONNREFUSED'),
      proxy,
      fault: 'proxy',
      retry: 'transient',
      line: /^the proxy proxy\.corp:3128 refused the connection \(ECONNREFUSED\) on the way to STS/,
    },
    {
      name: 'proxy hangs up before CONNECT',
      error: new Error('Proxy connection ended before receiving CONNECT response'),
      proxy,
      fault: 'proxy',
      retry: 'transient',
      line: /closed the connection before answering CONNECT/,
    },
    {
      name: 'oversize',
      error: new AnswerTooLarge('x'),
      fault: 'oversize',
      retry: 'final',
      line: /sent an answer larger than 65536 bytes/,
    },
    {
      name: 'unknown',
      error: new Error('something odd\nsecond line'),
      fault: 'other',
      retry: 'final',
      line: /^cannot reach STS \(sts\.amazonaws\.com\): something odd$/,
    },
  ])('$name', ({ error, answering, proxy: via, fault, retry, line }) => {
    const site = {
      url,
      what: 'STS',
      timeoutMs: 10_000,
      maxBytes: 65_536,
      answering: answering ?? false,
      ...(via ? { proxy: via } : {}),
    };
    const described = describeNetworkError(error, site);
    expect(described).toBeInstanceOf(NetworkFault);
    expect(described.kind).toBe('unavailable');
    expect((described as NetworkFault).fault).toBe(fault);
    expect((described as NetworkFault).retry).toBe(retry);
    expect(described.message).toMatch(line);
    expect(described.message).not.toContain('pr0xy-pass');
  });

  it.each([
    {
      name: 'no answer within the timeout',
      answering: false,
      fault: 'timeout',
      line: /^STS \(sts\.amazonaws\.com\) did not answer within 2s/,
    },
    {
      name: 'a body that trickles',
      answering: true,
      fault: 'slow',
      line: /^STS \(sts\.amazonaws\.com\) sent its answer too slowly: cut after 2s$/,
    },
  ])('per-request timeout: $name', ({ answering, fault, line }) => {
    const signal = AbortSignal.abort(new DOMException('timed out', 'TimeoutError'));
    const described = describeNetworkError(
      new Error('aborted'),
      { url, what: 'STS', timeoutMs: 2000, answering },
      signal,
    );
    expect((described as NetworkFault).fault).toBe(fault);
    expect((described as NetworkFault).retry).toBe('transient');
    expect(described.message).toMatch(line);
  });

  it("an abort by the deadline keeps the deadline's own error", () => {
    const reason = new CredkitError(
      'deadline',
      'no credential within the 3s deadline: waiting for STS (sts.amazonaws.com)',
    );
    const described = describeNetworkError(new Error('aborted'), { url, timeoutMs: 10_000 }, AbortSignal.abort(reason));
    expect(described).toBe(reason);
  });
});

/**
 * The --ib-* flags: upstream's TestParseIdentityBindingsConfig and
 * TestParseIdentityBindingsConfig_ResolvableFQDN (cmd/acr-credential-provider/pkg/config;
 * research/azure-acr.md §3.9) as one table, run the way credkit splits upstream's function
 * (flags checked on every exec, the API server's name resolved when the call is made); then
 * credkit's own rows, each saying how it differs.
 */
import { describe, expect, it } from 'vitest';
import {
  CLUSTER_CA_FILE,
  type IdentityBindingFlags,
  identityBindingsOf,
  isIpAddress,
  parseApiServer,
  resolveApiServer,
} from '../../../adapters/acr/identity-binding.ts';

/** Upstream's ParseIdentityBindingsConfig(sni, client, tenant, ip): flags, then resolution. */
async function parse(sni: string, client: string, tenant: string, ip: string) {
  const flags: IdentityBindingFlags = {
    'ib-sni-name': sni,
    'ib-default-client-id': client,
    'ib-default-tenant-id': tenant,
    'ib-apiserver-ip': ip,
  };
  const bindings = identityBindingsOf(flags);
  if (!bindings) return {};
  return {
    SNIName: bindings.sniName,
    DefaultClientID: bindings.defaultClientId ?? '',
    DefaultTenantID: bindings.defaultTenantId ?? '',
    APIServerIP: await resolveApiServer(bindings.apiServer.host),
  };
}

describe('identityBindingsOf + resolveApiServer (upstream TestParseIdentityBindingsConfig)', () => {
  it.each([
    { name: 'empty config', sni: '', client: '', tenant: '', ip: '', want: {} },
    {
      name: 'valid config with all fields',
      sni: 'api.example.com',
      client: 'client-123',
      tenant: 'tenant-456',
      ip: '10.0.0.1',
      want: {
        SNIName: 'api.example.com',
        DefaultClientID: 'client-123',
        DefaultTenantID: 'tenant-456',
        APIServerIP: '10.0.0.1',
      },
    },
    {
      name: 'valid config with SNI name and API server IP only',
      sni: 'api.example.com',
      client: '',
      tenant: '',
      ip: '10.0.0.1',
      want: { SNIName: 'api.example.com', DefaultClientID: '', DefaultTenantID: '', APIServerIP: '10.0.0.1' },
    },
    {
      name: 'valid IPv6 address',
      sni: 'api.example.com',
      client: '',
      tenant: '',
      ip: '2001:db8::1',
      want: { SNIName: 'api.example.com', DefaultClientID: '', DefaultTenantID: '', APIServerIP: '2001:db8::1' },
    },
  ])('$name', async ({ sni, client, tenant, ip, want }) => {
    expect(await parse(sni, client, tenant, ip)).toEqual(want);
  });

  it.each([
    {
      name: 'SNI name with https:// prefix',
      sni: 'https://api.example.com',
      ip: '10.0.0.1',
      error: 'must not contain protocol prefix',
    },
    {
      name: 'SNI name with http:// prefix',
      sni: 'http://api.example.com',
      ip: '10.0.0.1',
      error: 'must not contain protocol prefix',
    },
    { name: 'SNI name without API server IP', sni: 'api.example.com', error: 'ib-apiserver-ip must be set' },
    { name: 'API server IP without SNI name', ip: '10.0.0.1', error: 'ib-sni-name must be set' },
    { name: 'client ID without SNI name', client: 'client-123', error: 'ib-sni-name must be set' },
    { name: 'tenant ID without SNI name', tenant: 'tenant-456', error: 'ib-sni-name must be set' },
    {
      name: 'invalid API server IP - unresolvable hostname',
      sni: 'api.example.com',
      ip: 'invalid-hostname.invalid',
      error: 'must be a valid IP address or resolvable FQDN',
    },
    {
      name: 'invalid API server IP - malformed',
      sni: 'api.example.com',
      ip: '999.999.999.999',
      error: 'must be a valid IP address or resolvable FQDN',
    },
  ])('$name -> error containing "$error"', async ({ sni = '', client = '', tenant = '', ip = '', error }) => {
    await expect(parse(sni, client, tenant, ip)).rejects.toThrow(error);
  });

  it('a resolvable FQDN (localhost) becomes an IP address, not the name', async () => {
    const got = await parse('api.example.com', '', '', 'localhost');
    expect(got.SNIName).toBe('api.example.com');
    expect(got.APIServerIP).not.toBe('localhost');
    expect(isIpAddress(got.APIServerIP as string)).toBe(true);
  });
});

describe('identityBindingsOf: credkit rows', () => {
  it.each([
    {
      name: 'the same: upstream message words and flag names',
      flags: { 'ib-default-client-id': 'c' },
      error: /^--ib-sni-name must be set when --ib-default-client-id is provided$/,
    },
    {
      name: 'credkit: --ib-ca-file needs --ib-sni-name like the other --ib-* flags',
      flags: { 'ib-ca-file': '/x/ca.crt' },
      error: /--ib-sni-name must be set when --ib-ca-file is provided/,
    },
    {
      name: 'stricter: an SNI name with a path (upstream would send it as the URL path)',
      flags: { 'ib-sni-name': 'api.example.com/admin', 'ib-apiserver-ip': '10.0.0.1' },
      error: /--ib-sni-name must be a DNS name .*"api.example.com\/admin"/,
    },
    {
      name: 'stricter: an SNI name with a port',
      flags: { 'ib-sni-name': 'api.example.com:443', 'ib-apiserver-ip': '10.0.0.1' },
      error: /--ib-sni-name must be a DNS name/,
    },
    {
      name: 'a port out of range',
      flags: { 'ib-sni-name': 'api.example.com', 'ib-apiserver-ip': '10.0.0.1:70000' },
      error: /--ib-apiserver-ip has port 70000, outside 1-65535/,
    },
    {
      name: 'a control character is escaped, the line stays one line',
      flags: { 'ib-sni-name': 'https://x\n.example', 'ib-apiserver-ip': '10.0.0.1' },
      error: /got: "https:\/\/x\\n\.example"/,
    },
  ])('$name', ({ flags, error }) => {
    expect(() => identityBindingsOf(flags)).toThrow(error);
  });

  it.each([
    { name: 'no flags', flags: {}, want: undefined },
    {
      name: 'empty values are unset flags, as pflag',
      flags: { 'ib-sni-name': '', 'ib-apiserver-ip': '' },
      want: undefined,
    },
    {
      name: 'the cluster CA defaults to the AKS path',
      flags: { 'ib-sni-name': 'api.example.com', 'ib-apiserver-ip': '10.0.0.1' },
      want: { sniName: 'api.example.com', apiServer: { host: '10.0.0.1', port: 443 }, caFile: CLUSTER_CA_FILE },
    },
    {
      name: '--ib-ca-file overrides it',
      flags: { 'ib-sni-name': 'api.example.com', 'ib-apiserver-ip': '10.0.0.1', 'ib-ca-file': '/etc/ca.pem' },
      want: { sniName: 'api.example.com', apiServer: { host: '10.0.0.1', port: 443 }, caFile: '/etc/ca.pem' },
    },
  ])('$name', ({ flags, want }) => {
    expect(identityBindingsOf(flags)).toEqual(want);
  });
});

describe('parseApiServer (superset: a port may follow)', () => {
  it.each([
    { value: '10.0.0.1', host: '10.0.0.1', port: 443 },
    { value: '2001:db8::1', host: '2001:db8::1', port: 443 },
    { value: 'myaks-dns-abc.hcp.eastus.azmk8s.io', host: 'myaks-dns-abc.hcp.eastus.azmk8s.io', port: 443 },
    { value: '127.0.0.1:8443', host: '127.0.0.1', port: 8443 },
    { value: '[::1]:8443', host: '::1', port: 8443 },
    { value: 'localhost:6443', host: 'localhost', port: 6443 },
    { value: '999.999.999.999', host: '999.999.999.999', port: 443 },
  ])('$value -> $host port $port', ({ value, host, port }) => {
    expect(parseApiServer(value)).toEqual({ host, port });
  });
});

describe('resolveApiServer', () => {
  it.each([
    { name: 'a name that does not exist is a usage error', code: 'ENOTFOUND', exit: 'usage' },
    { name: 'a resolver that cannot answer now is unavailable', code: 'EAI_AGAIN', exit: 'unavailable' },
  ])('$name', async ({ code, exit }) => {
    const lookup = () => Promise.reject(Object.assign(new Error('x'), { code }));
    await expect(resolveApiServer('api.example.com', lookup)).rejects.toMatchObject({
      kind: exit,
      message: `--ib-apiserver-ip must be a valid IP address or resolvable FQDN, got: "api.example.com" (${code})`,
    });
  });

  it('takes the first address the name resolves to, and never looks up an IP', async () => {
    const asked: string[] = [];
    const lookup = async (name: string) => (asked.push(name), '10.1.2.3');
    expect(await resolveApiServer('apiserver.example', lookup)).toBe('10.1.2.3');
    expect(await resolveApiServer('10.9.9.9', lookup)).toBe('10.9.9.9');
    expect(asked).toEqual(['apiserver.example']);
  });
});

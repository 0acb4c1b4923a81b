/**
 * AKS identity bindings, the command-line half: the `--ib-*` flags checked as upstream checks them
 * (cmd/acr-credential-provider/pkg/config/identity_bindings_config.go; research/azure-acr.md §1.1,
 * §2.3, §3.9). With `--ib-sni-name` set, a pod's token (audience api://AKSIdentityBinding) is
 * traded at the API server's identity-binding endpoint (identity-binding-token.ts) instead of at
 * Entra ID. Parsing is synchronous and cheap (every exec runs it); the API server's name is resolved
 * only when that call is made, so a node without identity bindings never waits on DNS.
 */
import { CredkitError, quote } from '../../core/index.ts';

/** The audience AKS's kubelet config asks of the pod's token in this mode (AgentBaker, research §6). */
export const IDENTITY_BINDING_AUDIENCE = 'api://AKSIdentityBinding';
/** Where AKS nodes keep the cluster CA; upstream hard-codes it, credkit takes --ib-ca-file. */
export const CLUSTER_CA_FILE = '/etc/kubernetes/certs/ca.crt';
/** The API server's TLS port (upstream dials `<ib-apiserver-ip>:443`). */
export const API_SERVER_PORT = 443;

export interface IdentityBindings {
  /** The TLS server name and Host header of the identity-binding endpoint (`https://<sni>/`). */
  sniName: string;
  /** Dialled instead of the SNI name: an IP, or a name resolved at call time. */
  apiServer: { host: string; port: number };
  defaultClientId?: string;
  defaultTenantId?: string;
  /** The only CA trusted for this call. */
  caFile: string;
}

/** The flags this file reads (adapters/acr/config.ts declares them). */
export interface IdentityBindingFlags {
  'ib-sni-name'?: string | undefined;
  'ib-apiserver-ip'?: string | undefined;
  'ib-default-client-id'?: string | undefined;
  'ib-default-tenant-id'?: string | undefined;
  'ib-ca-file'?: string | undefined;
}

const usage = (message: string) => new CredkitError('usage', message);

/**
 * The identity-binding settings, or undefined when `--ib-sni-name` is not set. Same rules and order
 * as upstream: no scheme on the SNI name; the SNI name and the API server address need each other;
 * the default ids and the CA file need the SNI name. An empty value is an unset flag, as in pflag.
 */
export function identityBindingsOf(flags: IdentityBindingFlags): IdentityBindings | undefined {
  const sniName = flags['ib-sni-name'] || undefined;
  const apiServer = flags['ib-apiserver-ip'] || undefined;
  const defaultClientId = flags['ib-default-client-id'] || undefined;
  const defaultTenantId = flags['ib-default-tenant-id'] || undefined;
  const caFile = flags['ib-ca-file'] || undefined;
  if (sniName !== undefined) {
    if (/^https?:\/\//.test(sniName)) {
      throw usage(
        `--ib-sni-name must not contain protocol prefix (https:// or http://), got: ${quote(sniName)}: pass the bare host name`,
      );
    }
    checkServerName(sniName);
    if (apiServer === undefined) throw usage('--ib-apiserver-ip must be set when --ib-sni-name is provided');
  }
  for (const [flag, value] of [
    ['ib-default-client-id', defaultClientId],
    ['ib-default-tenant-id', defaultTenantId],
    ['ib-apiserver-ip', apiServer],
    ['ib-ca-file', caFile],
  ] as const) {
    if (value !== undefined && sniName === undefined) {
      throw usage(`--ib-sni-name must be set when --${flag} is provided`);
    }
  }
  if (sniName === undefined || apiServer === undefined) return undefined;
  return {
    sniName,
    apiServer: parseApiServer(apiServer),
    ...(defaultClientId ? { defaultClientId } : {}),
    ...(defaultTenantId ? { defaultTenantId } : {}),
    caFile: caFile ?? CLUSTER_CA_FILE,
  };
}

// A DNS name: it becomes the URL's host, the Host header and the TLS server name, so no path,
// port, userinfo or space may ride along (upstream builds "https://" + the flag verbatim).
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function checkServerName(sniName: string): void {
  if (!DNS_NAME.test(sniName)) {
    throw usage(
      `--ib-sni-name must be a DNS name (the TLS server name of the identity-binding endpoint), got: ${quote(sniName)}`,
    );
  }
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;

/** Whether a value is an IP literal (as Go's net.ParseIP would take it, near enough). */
export function isIpAddress(value: string): boolean {
  if (IPV4.test(value)) return true;
  if (!IPV6.test(value)) return false;
  try {
    return new URL(`https://[${value}]/`).hostname !== '';
  } catch {
    return false;
  }
}

/**
 * `--ib-apiserver-ip`: an IP or a name (AKS passes the API server's FQDN), as upstream; credkit
 * also takes `host:port` and `[ipv6]:port`, for an API server (or a test's fake) off port 443.
 */
export function parseApiServer(value: string): { host: string; port: number } {
  if (isIpAddress(value)) return { host: value, port: API_SERVER_PORT };
  const withPort = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(value) ?? /^([^:[\]]+):(\d{1,5})$/.exec(value);
  if (!withPort) return { host: value, port: API_SERVER_PORT };
  const port = Number(withPort[2]);
  if (port < 1 || port > 65535) {
    throw usage(`--ib-apiserver-ip has port ${port}, outside 1-65535: ${quote(value)}`);
  }
  return { host: withPort[1] as string, port };
}

/**
 * The address to dial: the IP itself, or the first address the name resolves to (upstream:
 * LookupHost with a 10 s timeout, first answer). Undefined `lookup` uses the node's resolver.
 */
export async function resolveApiServer(
  host: string,
  lookup: (name: string) => Promise<string> = systemLookup,
): Promise<string> {
  if (isIpAddress(host)) return host;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out after 10s'), { code: 'ETIMEOUT' })), 10_000);
  });
  try {
    return await Promise.race([lookup(host), timeout]);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'lookup failed';
    const kind = code === 'ENOTFOUND' || code === 'EAI_NONAME' ? 'usage' : 'unavailable';
    throw new CredkitError(
      kind,
      `--ib-apiserver-ip must be a valid IP address or resolvable FQDN, got: ${quote(host)} (${code})`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
}

async function systemLookup(name: string): Promise<string> {
  const dns = process.getBuiltinModule('node:dns') as typeof import('node:dns');
  return (await dns.promises.lookup(name)).address;
}

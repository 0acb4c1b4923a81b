/**
 * The environment a provider runs in: the kubelet's own environment plus the config's `env`
 * entries. A leaf module: the transport and the provider API both read it, and neither may import
 * the other for it.
 */
export type Env = Record<string, string | undefined>;

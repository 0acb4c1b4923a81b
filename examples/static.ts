/**
 * A minimal provider built with the kit: hands a fixed robot-account credential (from env) to
 * images on one registry. Build it with `credkit build examples/static.ts -o static-provider`.
 */
import { defineProvider } from '../core/index.ts';

export default defineProvider({
  name: 'static-provider',
  version: '0.1.0',
  description: 'a fixed credential for one registry, read from the environment',
  matchImages: ['registry.example.com', '*.registry.example.com'],
  help: 'env: STATIC_USERNAME, STATIC_PASSWORD (the credential), STATIC_TTL_SECONDS (default 3600)',
  async getCredentials({ env, now }) {
    const username = env.STATIC_USERNAME;
    const password = env.STATIC_PASSWORD;
    if (!username || !password) return null;
    const ttl = Number(env.STATIC_TTL_SECONDS ?? 3600);
    return { username, password, expiresAt: new Date(now() + ttl * 1000) };
  },
});

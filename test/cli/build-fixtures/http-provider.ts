/**
 * A provider that fetches its credential with the core HTTP layer (ctx.http), so a test can prove
 * that inside a compiled binary the layer still tunnels through HTTPS_PROXY, trusts
 * NODE_EXTRA_CA_CERTS, honours NO_PROXY and stops at the deadline.
 */
import { CredkitError, defineProvider } from '../../../core/index.ts';

export default defineProvider({
  name: 'http-fixture',
  version: '1.0.0',
  matchImages: ['*.credkit.test'],
  async getCredentials({ env, http, signal }) {
    const response = await http.request(`https://${env.FIXTURE_TOKEN_HOST}/token`, { signal });
    if (response.status !== 200) throw new CredkitError('denied', `token service answered ${response.status}`);
    const { username, password, expiresIn } = JSON.parse(response.text) as {
      username: string;
      password: string;
      expiresIn: number;
    };
    return { username, password, expiresAt: new Date(Date.now() + expiresIn * 1000) };
  },
});

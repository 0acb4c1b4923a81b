/** credkit-acr as a provider module (default export), so both back-ends build it the same way. */
import { provider } from '../../adapters/acr/index.ts';

export default provider;

/** credkit-ecr as a provider module (default export), so both back-ends build it the same way. */
import { provider } from '../../adapters/ecr/index.ts';

export default provider;

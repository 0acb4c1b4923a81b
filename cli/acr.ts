/** credkit-acr: the per-cloud binary for Azure Container Registry. */

import { provider } from '../adapters/acr/index.ts';
import { main } from '../core/index.ts';

await main(provider);

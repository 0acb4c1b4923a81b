/** credkit-acr: the per-cloud binary for Azure Container Registry. */
import { main } from '../core/index.ts';
import { provider } from '../adapters/acr/index.ts';

await main(provider);

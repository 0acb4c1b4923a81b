// credkit-ecr: the kubelet image credential provider for Amazon ECR (drop-in for ecr-credential-provider).

import { provider } from '../adapters/ecr/index.ts';
import { main } from '../core/index.ts';

await main(provider);

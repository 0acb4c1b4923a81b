// credkit-ecr: the kubelet image credential provider for Amazon ECR (drop-in for ecr-credential-provider).
import { main } from '../core/index.ts';
import { provider } from '../adapters/ecr/index.ts';

await main(provider);

#!/usr/bin/env node
// credkit-quay: the kubelet runs this binary; everything it does is in adapters/quay.
import { provider } from '../adapters/quay/index.ts';
import { main } from '../core/index.ts';

await main(provider);

#!/usr/bin/env node
import { provider } from '../adapters/gar/index.ts';
// credkit-gar: the kubelet runs this binary; everything it does is in adapters/gar.
import { main } from '../core/index.ts';

await main(provider);

#!/usr/bin/env node
// credkit-gar: the kubelet runs this binary; everything it does is in adapters/gar.
import { provider } from '../adapters/gar/index.ts';
import { main } from '../core/index.ts';

await main(provider);

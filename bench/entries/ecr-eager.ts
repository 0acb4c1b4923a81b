/**
 * credkit-ecr with its SDKs imported up front, for the lazy-loading comparison: the adapter imports
 * them with `import()` only on the path that needs them. The SDKs declare `sideEffects: false`, so a
 * bare `import 'x'` would be dropped; holding the namespaces keeps every module loaded at start-up.
 */

import * as ecr from '@aws-sdk/client-ecr';
import * as ecrPublic from '@aws-sdk/client-ecr-public';
import * as sts from '@aws-sdk/client-sts';
import * as credentialProviders from '@aws-sdk/credential-providers';
import * as httpHandler from '@smithy/node-http-handler';
import { provider } from '../../adapters/ecr/index.ts';

(globalThis as { credkitEagerSdks?: unknown }).credkitEagerSdks = [
  ecr,
  ecrPublic,
  sts,
  credentialProviders,
  httpHandler,
];

export default provider;

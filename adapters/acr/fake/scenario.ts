/**
 * ACR's test half (credkit/testing): fake Entra ID, IMDS and one registry; the node is a
 * user-assigned managed identity named in azure.json, each service account a client with a
 * federated credential for that account only.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AdapterTesting,
  kubeletEnv,
  type Scenario,
  scenarioSubject,
  scenarioToken,
} from '../../../core/testing/index.ts';
import { CLIENT_ID_ANNOTATION, TENANT_ID_ANNOTATION } from '../identity.ts';
import { ENTRA_TOKEN_AUDIENCE } from '../provider.ts';
import { startFakeAzure } from './index.ts';

const TENANT = '3b5a6d8e-0000-4000-8000-00000000aaaa';
const KUBELET_IDENTITY = '9a1c0f3e-0000-4000-8000-000000000001';
const client = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;

/** The node's azure.json, as AKS writes it for a kubelet identity. */
function writeAzureJson(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'credkit-acr-')), 'azure.json');
  const config = {
    cloud: 'AzurePublicCloud',
    tenantId: TENANT,
    useManagedIdentityExtension: true,
    userAssignedIdentityID: KUBELET_IDENTITY,
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

export const testing: AdapterTesting = {
  async scenario(world, identities): Promise<Scenario> {
    const clients = Array.from({ length: identities }, (_, i) => client(i));
    const loginServer = 'benchacr.azurecr.io';
    const azure = await startFakeAzure(world, {
      registries: [{ loginServer, pullers: [KUBELET_IDENTITY, ...clients] }],
      federatedCredentials: clients.map((clientId, i) => ({
        tenantId: TENANT,
        clientId,
        issuer: world.issuer.issuer,
        subject: scenarioSubject(i),
      })),
      managedIdentities: [{ clientId: KUBELET_IDENTITY, tenantId: TENANT }],
    });
    const args = [writeAzureJson()];
    const image = `${loginServer}/team/app:1`;
    const inheritedEnv = kubeletEnv(world);
    const registry = azure.registry(loginServer);
    return {
      world,
      node: { label: 'node (managed identity)', args, run: { image, inheritedEnv }, expected: KUBELET_IDENTITY },
      serviceAccount: async (index) => ({
        label: `sa-${index} → Entra → ACR`,
        args,
        run: {
          image,
          inheritedEnv,
          serviceAccountToken: await scenarioToken(world, index, ENTRA_TOKEN_AUDIENCE),
          serviceAccountAnnotations: { [CLIENT_ID_ANNOTATION]: client(index), [TENANT_ID_ANNOTATION]: TENANT },
          cacheType: 'ServiceAccount',
        },
        expected: client(index),
      }),
      identityOf: (password) => registry.issued.find((token) => token.refreshToken === password)?.clientId,
      calls: () => azure.totalCalls(),
    };
  },
};

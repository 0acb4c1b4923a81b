/**
 * GAR's test half (credkit/testing): a fake Google Cloud with the node's default service account on
 * the metadata server, GKE workload identity for every service account (the federated principal
 * pulls itself), and for the demo a self-managed pool whose second account impersonates a Google
 * service account.
 */
import {
  type AdapterTesting,
  kubeletEnv,
  type Scenario,
  scenarioSubject,
  scenarioToken,
} from '../../../core/testing/index.ts';
import { ENABLE_WI_IMAGE_PULL, GCP_SERVICE_ACCOUNT } from '../identity.ts';
import { principalFor, startFakeGoogleCloud } from './index.ts';

const CLUSTER = 'https://container.googleapis.com/v1/projects/my-project/locations/us-central1/clusters/my-cluster';
const GKE_POOL = 'my-project.svc.id.goog';
const GKE_STS_AUDIENCE = `identitynamespace:${GKE_POOL}:${CLUSTER}`;
const WIF = '//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/k8s/providers/cluster';
const NODE_ACCOUNT = '1234-compute@developer.gserviceaccount.com';
const PULLER = 'puller@my-project.iam.gserviceaccount.com';

export const testing: AdapterTesting = {
  async scenario(world, _identities): Promise<Scenario> {
    const cloud = await startFakeGoogleCloud(world, {
      nodeServiceAccount: NODE_ACCOUNT,
      registryHosts: ['us-central1-docker.pkg.dev'],
      pools: [
        { stsAudience: GKE_STS_AUDIENCE, tokenAudience: GKE_POOL },
        { stsAudience: WIF, tokenAudience: `https:${WIF}` },
      ],
      serviceAccounts: { [PULLER]: [principalFor(WIF, scenarioSubject(1))] },
    });
    const image = 'us-central1-docker.pkg.dev/my-project/my-repo/app:1';
    const inheritedEnv = kubeletEnv(world);
    return {
      world,
      node: {
        label: 'node (metadata server)',
        args: ['get-credentials'],
        run: { image, inheritedEnv },
        expected: NODE_ACCOUNT,
      },
      // GKE's direct access: the federated principal itself pulls (no service account impersonation).
      serviceAccount: async (index) => ({
        label: `sa-${index} → STS`,
        args: ['get-credentials', `--identity-provider=${CLUSTER}`, '--project-id=my-project'],
        run: {
          image,
          inheritedEnv,
          serviceAccountToken: await scenarioToken(world, index, GKE_POOL),
          serviceAccountAnnotations: { [ENABLE_WI_IMAGE_PULL]: 'true' },
          cacheType: 'ServiceAccount',
        },
        expected: principalFor(GKE_STS_AUDIENCE, scenarioSubject(index)),
      }),
      more: async () => [
        {
          label: 'sa-1 → STS → IAM',
          args: ['get-credentials', `--sts-audience=${WIF}`],
          run: {
            image,
            inheritedEnv,
            serviceAccountToken: await scenarioToken(world, 1, `https:${WIF}`),
            serviceAccountAnnotations: { [GCP_SERVICE_ACCOUNT]: PULLER },
            cacheType: 'ServiceAccount',
          },
          expected: PULLER,
        },
      ],
      identityOf: (password) => cloud.issued.find((token) => token.token === password)?.identity,
      calls: () => [cloud.metadata, cloud.sts, cloud.iamCredentials].reduce((sum, server) => sum + server.calls(), 0),
    };
  },
};

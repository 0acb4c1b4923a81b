/**
 * ECR's test half (credkit/testing): fake AWS with one role per service account, each trusting
 * only that account, and the instance profile `eks-node` behind IMDSv2 for the node identity.
 */
import {
  type AdapterTesting,
  type FakeWorld,
  kubeletEnv,
  type Scenario,
  scenarioSubject,
  scenarioToken,
} from '../../../core/testing/index.ts';
import { ROLE_ANNOTATION, STS_AUDIENCE } from '../config.ts';
import { startFakeAws } from './index.ts';

const role = (index: number) => `arn:aws:iam::123456789012:role/puller-${index}`;

export const testing: AdapterTesting = { scenario: (world, identities) => ecrScenario(world, identities) };

/** `sessionSeconds`: the STS session the fake grants (default STS's 3600), which bounds the ECR token. */
export async function ecrScenario(
  world: FakeWorld,
  identities: number,
  options: { sessionSeconds?: number } = {},
): Promise<Scenario> {
  const roles = Object.fromEntries(
    Array.from({ length: identities }, (_, i) => [role(i), { subjects: [scenarioSubject(i)] }]),
  );
  const aws = await startFakeAws(world, { roles, ...options });
  const image = `${aws.registryHost()}/team/app:1`;
  const inheritedEnv = kubeletEnv(world);
  return {
    world,
    // Node identity from IMDS (the instance profile eks-node), reached through the proxy like every call.
    node: { label: 'node (IMDSv2)', args: [], run: { image, inheritedEnv }, expected: 'eks-node' },
    serviceAccount: async (index) => ({
      label: `sa-${index} → STS → ECR`,
      args: [],
      run: {
        image,
        inheritedEnv,
        serviceAccountToken: await scenarioToken(world, index, STS_AUDIENCE),
        serviceAccountAnnotations: { [ROLE_ANNOTATION]: role(index) },
        cacheType: 'ServiceAccount',
      },
      expected: `puller-${index}`,
    }),
    more: async () => [
      { label: 'not an ECR image', args: [], run: { image: 'docker.io/library/nginx', inheritedEnv } },
    ],
    // The fake names principals `instance-role:<name>` or `assumed-role:<role arn>`: the role name ends them.
    identityOf: (password) => aws.principalOf(password)?.split(/[:/]/).pop(),
    calls: () => [aws.sts, aws.ecr, aws.ecrPublic, aws.imds].reduce((sum, server) => sum + server.calls(), 0),
  };
}

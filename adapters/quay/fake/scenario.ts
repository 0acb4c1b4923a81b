/**
 * Quay's test half (credkit/testing): a fake quay.io whose robots `acme+puller-<i>` each trust one
 * scenario service account, so every exec must come back as its own robot. Quay has no node
 * identity: the node exec is absent, and the demo shows the anonymous answers instead.
 */
import {
  type AdapterTesting,
  kubeletEnv,
  type Scenario,
  scenarioSubject,
  scenarioToken,
} from '../../../core/testing/index.ts';
import { QUAY_IO } from '../config.ts';
import { ROBOT_ANNOTATION } from '../identity.ts';
import { startFakeQuay } from './index.ts';

const robot = (index: number) => `acme+puller-${index}`;

export const testing: AdapterTesting = {
  async scenario(world, identities): Promise<Scenario> {
    const quay = await startFakeQuay(world, {
      robots: Array.from({ length: identities }, (_, index) => ({
        name: robot(index),
        federation: [{ issuer: world.issuer.issuer, subject: scenarioSubject(index) }],
      })),
    });
    const image = `${QUAY_IO}/acme/app:1`;
    const inheritedEnv = kubeletEnv(world);
    return {
      world,
      serviceAccount: async (index) => ({
        label: `sa-${index} → robot federation`,
        args: [],
        run: {
          image,
          inheritedEnv,
          serviceAccountToken: await scenarioToken(world, index, QUAY_IO),
          serviceAccountAnnotations: { [ROBOT_ANNOTATION]: robot(index) },
          cacheType: 'ServiceAccount',
        },
        expected: robot(index),
      }),
      more: async () => [
        {
          label: `no ${ROBOT_ANNOTATION} (anonymous)`,
          args: [],
          run: {
            image,
            inheritedEnv,
            serviceAccountToken: await scenarioToken(world, 0, QUAY_IO),
            cacheType: 'ServiceAccount',
          },
        },
        { label: 'not a Quay image', args: [], run: { image: 'docker.io/library/nginx', inheritedEnv } },
      ],
      identityOf: (password) => quay.whoIs(password),
      calls: () => quay.server.calls(),
    };
  },
};

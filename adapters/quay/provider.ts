/**
 * credkit-quay: quay.io and self-hosted Red Hat Quay (>= 3.13) credentials from the pod's identity,
 * through robot account federation. The core does the protocol, the token pre-flight and the cache
 * hints; this file wires the command line, the annotation and the one exchange together.
 */
import { type Context, type Credential, defineProvider } from '../../core/index.ts';
import { QUAY_FLAGS, readConfig } from './config.ts';
import { namesRobot, planIdentity, ROBOT_ANNOTATION } from './identity.ts';
import { isQuayRegistry } from './registry.ts';

export const VERSION = '0.1.0';

const HELP = `
The pod's service account names a Quay robot account with the annotation
  ${ROBOT_ANNOTATION}: ORGANIZATION+ROBOT
and the robot's federation config trusts the cluster's issuer and the service account's subject
(system:serviceaccount:NAMESPACE:NAME). Each pull trades the pod's token at
https://HOST/oauth2/federation/robot/token for a one-hour robot token; username is the robot's name.

Without a token or the annotation: no credentials (anonymous pull), cacheDuration 0s.
Token audience: the first --registry host (quay.io by default); --token-audience overrides it.
`;

export type QuayContext = Context<typeof QUAY_FLAGS>;

export const provider = defineProvider({
  name: 'credkit-quay',
  version: VERSION,
  description: 'quay.io and Red Hat Quay credentials from the pod identity (robot account federation)',
  // The configured hosts, so `credkit config quay --arg=--registry=HOST` writes the globs it serves.
  matchImages: ({ flags }) => readConfig(flags).registries,
  // The command line is checked here, first thing on every exec, so a typo fails for every image.
  servesImage: (image, { flags }) => isQuayRegistry(image, readConfig(flags)),
  audience: ({ flags }) => readConfig(flags).audience,
  annotations: { optional: [ROBOT_ANNOTATION] },
  // A pod that names no robot pulls anonymously: its token is never sent, so it is not judged.
  exchangesToken: ({ request }) => namesRobot(request.serviceAccountAnnotations),
  // The robot token stands for the robot, not for one pod's token.
  cacheType: 'ServiceAccount',
  defaultCacheDuration: '0s',
  cacheKeyType: 'Registry',
  flags: QUAY_FLAGS,
  help: HELP,
  getCredentials,
});

async function getCredentials(ctx: QuayContext): Promise<Credential | null> {
  const plan = planIdentity({
    ...(ctx.serviceAccount ? { serviceAccount: ctx.serviceAccount } : {}),
    ...(ctx.request.serviceAccountAnnotations ? { requestAnnotations: ctx.request.serviceAccountAnnotations } : {}),
  });
  if (plan.kind === 'none') {
    if (plan.warn) ctx.log.warn(`no credentials: ${plan.reason}`);
    else ctx.log.v(2).info('no credentials', { reason: plan.reason });
    return null;
  }
  ctx.log.v(2).info('using the robot', { robot: plan.robot, subject: plan.subject });
  // Loaded only on the path that trades a token: an anonymous exec never parses it.
  const { federatedRobotToken } = await import('./exchange.ts');
  const robotToken = await federatedRobotToken(ctx, {
    registry: ctx.image.registry,
    robot: plan.robot,
    token: plan.token,
    subject: plan.subject,
    ...(plan.issuer ? { issuer: plan.issuer } : {}),
    userAgent: `credkit-quay/${VERSION}`,
  });
  return {
    username: plan.robot,
    password: robotToken.token,
    ...(robotToken.expiresAt ? { expiresAt: robotToken.expiresAt } : {}),
  };
}

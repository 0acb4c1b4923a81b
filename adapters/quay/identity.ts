/**
 * Which identity answers a request: the Quay robot the pod's service account names, or nobody.
 * Quay has no node identity (a node holds no Quay credential of its own), so a pod without a token
 * or without the annotation pulls anonymously: no credentials, exit 0, `0s`, as for any image this
 * provider does not serve.
 */
import { CredkitError } from '../../core/index.ts';

/**
 * The service account annotation naming the robot, `org+name` (or `user+name`). Quay defines none;
 * this key names the project the way `eks.amazonaws.com/ecr-role-arn` names its cloud.
 */
export const ROBOT_ANNOTATION = 'quay.io/robot';

export type RobotPlan =
  | { kind: 'none'; reason: string; warn?: boolean }
  /** `subject`: the token's `system:serviceaccount:<ns>:<name>`, for messages. */
  | { kind: 'robot'; robot: string; token: string; subject: string; issuer?: string };

export interface PlanInput {
  /** Present when the kubelet sent a token that passed the core's audience/expiry check. */
  serviceAccount?: {
    token: string;
    claims: { iss?: string };
    identity: { subject: string };
    annotations: Record<string, string>;
  };
  /** The request's annotations, which can arrive without a token. */
  requestAnnotations?: Record<string, string>;
}

export function planIdentity(input: PlanInput): RobotPlan {
  const serviceAccount = input.serviceAccount;
  const annotated = serviceAccount?.annotations[ROBOT_ANNOTATION] ?? input.requestAnnotations?.[ROBOT_ANNOTATION];
  if (annotated === undefined) return { kind: 'none', reason: `the service account has no ${ROBOT_ANNOTATION}` };
  if (!serviceAccount) {
    // The annotation came without a token: the kubelet config lacks tokenAttributes. Anonymous, as
    // the operator would see it, but said once on stderr so the cause is findable.
    return {
      kind: 'none',
      reason: `${ROBOT_ANNOTATION} is set but the kubelet sent no token: set tokenAttributes for this provider`,
      warn: true,
    };
  }
  const source = `annotation ${ROBOT_ANNOTATION} of ${serviceAccount.identity.subject}`;
  return {
    kind: 'robot',
    robot: checkRobotName(annotated, source),
    token: serviceAccount.token,
    subject: serviceAccount.identity.subject,
    ...(serviceAccount.claims.iss ? { issuer: serviceAccount.claims.iss } : {}),
  };
}

/** Whether a request is going to trade its token: only when its service account names a robot. */
export function namesRobot(annotations: Record<string, string> | undefined): boolean {
  return annotations?.[ROBOT_ANNOTATION] !== undefined;
}

// Quay names: the namespace (organization or user) and the robot's short name each match its
// VALID_USERNAME_REGEX (util/validation.py) and are 2-255 characters; the robot's full name joins
// them with one `+` (util/names.py format_robot_username). Anything else Quay answers 401 or 400.
const QUAY_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Checks a robot's full name (`org+name`) before it goes into an Authorization header. */
export function checkRobotName(value: string, source: string): string {
  const [namespace, shortname, ...rest] = value.split('+');
  const valid = (part: string | undefined) =>
    part !== undefined && part.length >= 2 && part.length <= 255 && QUAY_NAME.test(part);
  if (rest.length > 0 || !valid(namespace) || !valid(shortname)) {
    throw new CredkitError(
      'request',
      `${source}: ${JSON.stringify(value.slice(0, 100))} is not a Quay robot account name ` +
        '(want ORGANIZATION+ROBOT, lower case, as the robot account page shows it)',
    );
  }
  return value;
}

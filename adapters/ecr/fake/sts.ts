/**
 * A fake STS that answers AssumeRoleWithWebIdentity as AWS does (awsQuery in, XML out;
 * research/aws-ecr.md §5.3): it verifies the token against the fake issuer's keys (signature, iss,
 * aud, exp), looks the subject up in the role's trust entry, and mints session credentials.
 */
import type { FakeIssuer, FakeRequest, FakeResponse } from '../../../core/testing/index.ts';
import type { FakeIam } from './iam.ts';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** STS's default DurationSeconds, and IAM's default MaxSessionDuration for a role. */
const SESSION_SECONDS = 3600;

export interface StsOptions {
  iam: FakeIam;
  issuer: FakeIssuer;
  /** Session lifetime in seconds without DurationSeconds (default STS's 3600); a request's wins. */
  sessionSeconds?: number;
  now?: () => number;
}

export function stsLabel(req: FakeRequest): string {
  return new URLSearchParams(req.body).get('Action') ?? 'unknown';
}

export function stsHandler(options: StsOptions): (req: FakeRequest) => Promise<FakeResponse> {
  return async (req) => {
    const form = new URLSearchParams(req.body);
    if (req.method !== 'POST' || form.get('Version') !== '2011-06-15')
      return stsError(400, 'InvalidAction', 'Could not find operation');
    if (form.get('Action') !== 'AssumeRoleWithWebIdentity')
      return stsError(400, 'InvalidAction', `Could not find operation ${form.get('Action')}`);
    const roleArn = form.get('RoleArn') ?? '';
    const sessionName = form.get('RoleSessionName') ?? '';
    const token = form.get('WebIdentityToken') ?? '';
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(roleArn) || !/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      return stsError(
        400,
        'ValidationError',
        '1 validation error detected: RoleArn or RoleSessionName failed to satisfy constraint',
      );
    }
    const trust = options.iam.roles.get(roleArn);
    let claims: Record<string, unknown>;
    try {
      claims = await options.issuer.verify(token, { audience: trust?.audience ?? 'sts.amazonaws.com' });
    } catch (error) {
      return tokenError(error as { code?: string; claim?: string });
    }
    const subject = String(claims.sub);
    if (!trust?.subjects.includes(subject)) {
      return stsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    }
    const duration = durationSeconds(form.get('DurationSeconds'), trust.maxSessionSeconds ?? SESSION_SECONDS);
    if (typeof duration === 'object') return duration;
    const now = options.now?.() ?? Date.now();
    const seconds = duration ?? options.sessionSeconds ?? SESSION_SECONDS;
    const key = options.iam.mintKey(`assumed-role:${roleArn}`, { temporary: true, lifetimeMs: seconds * 1000, now });
    const role = roleArn.split('/').pop();
    return xml(
      200,
      `<AssumeRoleWithWebIdentityResponse xmlns="${NS}">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>${subject}</SubjectFromWebIdentityToken>
    <Audience>${trust.audience ?? 'sts.amazonaws.com'}</Audience>
    <AssumedRoleUser>
      <Arn>${roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${sessionName}</Arn>
      <AssumedRoleId>AROA${role?.toUpperCase().replace(/[^A-Z0-9]/g, '')}:${sessionName}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${key.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${key.secretAccessKey}</SecretAccessKey>
      <SessionToken>${key.sessionToken}</SessionToken>
      <Expiration>${new Date(key.expiresAt ?? now).toISOString()}</Expiration>
    </Credentials>
    <Provider>${String(claims.iss)}</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`,
    );
  };
}

/**
 * DurationSeconds as STS checks it: 900 to 43200 (a ValidationError naming the constraint), then
 * at most the role's MaxSessionDuration (STS's own sentence). Undefined when the request has none.
 */
function durationSeconds(value: string | null, maxSessionSeconds: number): number | undefined | FakeResponse {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 900 || seconds > 43200) {
    const bound = seconds > 43200 ? 'less than or equal to 43200' : 'greater than or equal to 900';
    return stsError(
      400,
      'ValidationError',
      `1 validation error detected: Value '${value}' at 'durationSeconds' failed to satisfy constraint: Member must have value ${bound}`,
    );
  }
  if (seconds > maxSessionSeconds) {
    return stsError(
      400,
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }
  return seconds;
}

/** jose's verification failures, as STS words them. */
function tokenError(error: { code?: string; claim?: string }): FakeResponse {
  if (error.code === 'ERR_JWT_EXPIRED')
    return stsError(
      400,
      'ExpiredTokenException',
      'Token expired: current date/time must be before the expiration date/time',
    );
  if (error.claim === 'aud') return stsError(400, 'InvalidIdentityToken', 'Incorrect token audience');
  if (error.claim === 'iss')
    return stsError(400, 'InvalidIdentityToken', 'No OpenIDConnect provider found in your account for this issuer');
  return stsError(400, 'InvalidIdentityToken', "Couldn't verify the token's signature with the provider's keys");
}

export function stsError(status: number, code: string, message: string): FakeResponse {
  return xml(
    status,
    `<ErrorResponse xmlns="${NS}">
  <Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error>
  <RequestId>${crypto.randomUUID()}</RequestId>
</ErrorResponse>`,
  );
}

function xml(status: number, body: string): FakeResponse {
  return { status, headers: { 'content-type': 'text/xml' }, body };
}

/**
 * The state the fake AWS endpoints share: which access keys exist (and whose they are), which roles
 * trust which service accounts, and which registry passwords ECR issued. STS and IMDS mint keys here,
 * ECR checks signatures against them, and the registry accepts only passwords ECR handed out.
 */
import { randomBytes } from 'node:crypto';

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Session credentials stop working here (ms since the epoch). */
  expiresAt?: number;
  /** Who signs with this key: an instance role, an assumed role, a static user. */
  principal: string;
}

/** One role's trust policy, reduced to what a web identity test needs. */
export interface RoleTrust {
  /** `system:serviceaccount:<ns>:<name>` subjects allowed (the policy's `:sub` condition). */
  subjects: string[];
  /** The `:aud` condition (default sts.amazonaws.com). */
  audience?: string;
  /** Whether the role's permissions include ecr:GetAuthorizationToken (default true). */
  canGetAuthorizationToken?: boolean;
  /** The role's MaxSessionDuration in seconds (default 3600, as IAM creates roles). */
  maxSessionSeconds?: number;
}

export interface IssuedPassword {
  password: string;
  principal: string;
  /** `private:<region>` or `public`: where the token works. */
  scope: string;
  expiresAt: number;
}

export class FakeIam {
  readonly keys = new Map<string, AccessKey>();
  readonly roles = new Map<string, RoleTrust>();
  readonly issued: IssuedPassword[] = [];
  /** Principals denied ecr:GetAuthorizationToken (roles are also denied via RoleTrust). */
  readonly deniedPrincipals = new Set<string>();

  mintKey(principal: string, options: { temporary: boolean; lifetimeMs?: number; now?: number }): AccessKey {
    const prefix = options.temporary ? 'ASIA' : 'AKIA';
    const key: AccessKey = {
      accessKeyId: `${prefix}${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      principal,
      ...(options.temporary ? { sessionToken: `FwoGZX${randomBytes(48).toString('base64')}` } : {}),
      ...(options.lifetimeMs ? { expiresAt: (options.now ?? Date.now()) + options.lifetimeMs } : {}),
    };
    this.keys.set(key.accessKeyId, key);
    return key;
  }

  issuePassword(principal: string, scope: string, expiresAt: number): string {
    const password = `eyJwYXlsb2FkIjoi${randomBytes(48).toString('base64url')}`;
    this.issued.push({ password, principal, scope, expiresAt });
    return password;
  }

  /** Whether a principal may call GetAuthorizationToken (assumed roles per their trust entry). */
  mayGetAuthorizationToken(principal: string): boolean {
    if (this.deniedPrincipals.has(principal)) return false;
    const role = /^assumed-role:(.+)$/.exec(principal)?.[1];
    return role ? this.roles.get(role)?.canGetAuthorizationToken !== false : true;
  }
}

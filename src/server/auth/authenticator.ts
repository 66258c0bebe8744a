/**
 * Decides who is calling: one `authenticate` for HTTP requests and both WebSockets, so every
 * entry point applies the same rules.
 *
 * - A bearer token (header, or `?access_token=` when ALLOW_QUERY_AUTH_TOKENS) is verified by
 *   `jwt-verifier.ts` and its claims become the identity (`identity-claims.ts`).
 * - AUTH_REQUIRED=true: no credentials → `auth_required`; a bad token → `auth_failed` (or
 *   `auth_unavailable` when the key server is down).
 * - AUTH_REQUIRED=false (local only: `deploymentProblems` refuses it elsewhere): no credentials
 *   → the default identity. A bad token ALSO → the default identity, as fleet-rlm (Python) does,
 *   so an expired dev token never locks a local user out. That downgrade is silent for the
 *   caller but not for the server: the context carries a `warning` to log, because "I sent a
 *   token and became anonymous" is otherwise very hard to debug.
 *
 * Admins (who may change the server's settings): identities listed in ADMIN_USERS (`user` or
 * `workspace/user`), tokens whose ADMIN_ROLE_CLAIM (`roles`) holds ADMIN_ROLE (`admin`), and,
 * with auth off in local mode, everyone: anyone can be the default identity by sending no token,
 * so there is only the one local user.
 */
import type { AdminConfig, AuthConfig } from '../../config/config.js';
import { ConfigError } from '../../config/config.js';
import type { Identity } from '../../store/store.js';
import { AuthError } from './auth-error.js';
import { type AuthCredentials, findBearerToken } from './bearer-token.js';
import { identityFromClaims, identityValueProblem, profileFromClaims } from './identity-claims.js';
import { createJwtVerifier, type JwtVerifierOptions, type VerifyJwt } from './jwt-verifier.js';

export type { AuthCredentials };

export interface AuthContext {
  identity: Identity;
  /** The verified token's claims; empty for the default identity. */
  claims: Record<string, unknown>;
  /** True only when a token was verified. */
  authenticated: boolean;
  /** May change the server's settings and run its connectivity tests. */
  isAdmin: boolean;
  email?: string;
  name?: string;
  /**
   * Set when credentials were sent but not used (only with AUTH_REQUIRED=false): why the caller
   * got the default identity instead. Safe to log (never contains the token).
   */
  warning?: string;
}

export type AuthenticatorOptions = JwtVerifierOptions;

export class Authenticator {
  private readonly verify: VerifyJwt;
  private readonly defaultIdentity: Identity;

  constructor(
    private readonly config: AuthConfig,
    options: AuthenticatorOptions = {},
  ) {
    this.defaultIdentity = checkedDefaultIdentity(config);
    this.verify = createJwtVerifier(config, options);
  }

  async authenticate(credentials: AuthCredentials): Promise<AuthContext> {
    try {
      const lookup = findBearerToken(credentials, this.config.allowQueryTokens);
      if (lookup.kind === 'token') return await this.fromToken(lookup.token);
      if (this.config.required) {
        throw new AuthError(
          'auth_required',
          lookup.kind === 'query_disabled'
            ? 'the access_token query parameter is disabled (ALLOW_QUERY_AUTH_TOKENS=false); send "Authorization: Bearer <token>"'
            : 'authentication required: send "Authorization: Bearer <token>"',
        );
      }
      return lookup.kind === 'query_disabled'
        ? this.anonymous('access_token query parameter ignored (ALLOW_QUERY_AUTH_TOKENS=false)')
        : this.anonymous();
    } catch (error) {
      if (this.config.required || !AuthError.isInstance(error)) throw error;
      return this.anonymous(`${error.code}: ${error.message}; using the default identity`);
    }
  }

  private async fromToken(token: string): Promise<AuthContext> {
    const claims: Record<string, unknown> = { ...(await this.verify(token)) };
    const identity = identityFromClaims(claims);
    return {
      identity,
      claims,
      authenticated: true,
      isAdmin: this.localAdmin() || isAdmin(this.config.admin, identity, claims),
      ...profileFromClaims(claims),
    };
  }

  private anonymous(warning?: string): AuthContext {
    const identity = { ...this.defaultIdentity };
    return {
      identity,
      claims: {},
      authenticated: false,
      isAdmin: this.localAdmin() || isAdmin(this.config.admin, identity, {}),
      ...(warning && { warning }),
    };
  }

  private localAdmin(): boolean {
    return !this.config.required && this.config.admin.localUserIsAdmin;
  }
}

function isAdmin(admin: AdminConfig, identity: Identity, claims: Record<string, unknown>): boolean {
  const listed = admin.users.some(
    (entry) => entry === identity.userId || entry === `${identity.workspaceId}/${identity.userId}`,
  );
  if (listed) return true;
  const roles = claims[admin.roleClaim];
  if (typeof roles === 'string') return roles.split(/[\s,]+/).includes(admin.role);
  return Array.isArray(roles) && roles.includes(admin.role);
}

/** Why a caller is not an admin and how to become one (never names a secret). */
export function notAdminMessage(admin: AdminConfig, identity: Identity): string {
  return (
    `only an admin may do this: add '${identity.workspaceId}/${identity.userId}' to ADMIN_USERS, ` +
    `or sign in with a token whose '${admin.roleClaim}' claim holds the '${admin.role}' role`
  );
}

/** The defaults become keys and paths like any identity, so they obey the same rules. */
function checkedDefaultIdentity(config: AuthConfig): Identity {
  const problems: string[] = [];
  const check = (variable: string, value: string) => {
    const problem = identityValueProblem(value);
    if (problem) problems.push(`${variable} ${problem}; got '${value}'`);
    return value.trim();
  };
  const identity = {
    workspaceId: check('WS_DEFAULT_WORKSPACE_ID', config.defaultWorkspaceId),
    userId: check('WS_DEFAULT_USER_ID', config.defaultUserId),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return identity;
}

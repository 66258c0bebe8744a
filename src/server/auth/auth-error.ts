/**
 * Errors raised while authenticating a request or socket. `code` is stable and machine-readable
 * (it goes into HTTP error bodies and WebSocket `error` frames); `status` is the HTTP status the
 * server answers with. Messages say what was wrong and how to fix it, and never contain the token.
 */
export type AuthErrorCode =
  /** No credentials were sent (or only in a place that is switched off) while auth is required. */
  | 'auth_required'
  /** A token was sent but is not acceptable: malformed, bad signature, expired, wrong audience or
   * issuer, disallowed algorithm, or missing/invalid identity claims. */
  | 'auth_failed'
  /** The token could not be checked because the JWKS endpoint failed (network, non-200, bad
   * JSON). Not the caller's fault, so 503 rather than 401: a client should retry, not re-login. */
  | 'auth_unavailable';

const STATUS: Record<AuthErrorCode, 401 | 503> = {
  auth_required: 401,
  auth_failed: 401,
  auth_unavailable: 503,
};

const marker = Symbol.for('fleet-rlm.AuthError');

export class AuthError extends Error {
  readonly [marker] = true;
  readonly status: 401 | 503;

  constructor(
    readonly code: AuthErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuthError';
    this.status = STATUS[code];
  }

  /**
   * The `WWW-Authenticate` value for a 401 (RFC 6750 §3): `invalid_token` tells a client its
   * token, not the request, is the problem. The description is our own message, which never
   * holds the token; quotes and backslashes are dropped to keep the header well-formed.
   */
  get wwwAuthenticate(): string {
    if (this.code !== 'auth_failed') return 'Bearer realm="fleet-rlm"';
    const description = this.message.replace(/["\\\r\n]/g, '');
    return `Bearer realm="fleet-rlm", error="invalid_token", error_description="${description}"`;
  }

  static isInstance(error: unknown): error is AuthError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

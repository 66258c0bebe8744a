/**
 * Errors raised while authenticating a request or socket. `code` is stable and machine-readable
 * (it goes into HTTP error bodies and WebSocket `error` frames); the catalogue gives its HTTP
 * status (401, or 503 when the identity provider is down). Messages say what was wrong and how
 * to fix it, and never contain the token.
 */
import { FleetError } from '../../contract/fleet-error.js';

export type AuthErrorCode =
  /** No credentials were sent (or only in a place that is switched off) while auth is required. */
  | 'auth_required'
  /** A token was sent but is not acceptable: malformed, bad signature, expired, wrong audience or
   * issuer, disallowed algorithm, or missing/invalid identity claims. */
  | 'auth_failed'
  /** The token could not be checked because the JWKS endpoint failed (network, non-200, bad
   * JSON). Not the caller's fault, so 503 rather than 401: a client should retry, not re-login. */
  | 'auth_unavailable';

export class AuthError extends FleetError<AuthErrorCode> {
  static override readonly errorName = 'AuthError';

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
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
}

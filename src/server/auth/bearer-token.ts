/**
 * Picks the token out of what a request carried: the `Authorization: Bearer` header, or the
 * WebSocket `?access_token=` query (browsers cannot set headers on a WebSocket; RFC 6750 §2.3).
 * The header wins when both are present, since query strings end up in access logs and
 * proxies and are the weaker channel.
 */
import { AuthError } from './auth-error.js';

export interface AuthCredentials {
  /** The raw `Authorization` header value. */
  authorization?: string;
  /** The `access_token` query parameter (WebSocket upgrades only). */
  accessToken?: string;
}

/** Tokens larger than this are refused before any parsing (real JWTs are a few KB). */
export const MAX_TOKEN_LENGTH = 16 * 1024;

export type TokenLookup =
  | { kind: 'token'; token: string }
  | { kind: 'none' }
  /** A query token was sent but ALLOW_QUERY_AUTH_TOKENS is off: treated as no credentials. */
  | { kind: 'query_disabled' };

/** Throws `auth_failed` for a present but unusable header (wrong scheme, empty, oversized). */
export function findBearerToken(credentials: AuthCredentials, allowQueryTokens: boolean): TokenLookup {
  const header = credentials.authorization?.trim();
  if (header) return { kind: 'token', token: checked(bearerFromHeader(header)) };
  const query = credentials.accessToken?.trim();
  if (!query) return { kind: 'none' };
  if (!allowQueryTokens) return { kind: 'query_disabled' };
  return { kind: 'token', token: checked(query) };
}

function bearerFromHeader(header: string): string {
  // The scheme is case-insensitive (RFC 7235 §2.1); one or more spaces separate it from the token.
  const match = /^(\S+)(?:\s+(.*))?$/s.exec(header);
  const scheme = match?.[1] ?? '';
  if (scheme.toLowerCase() !== 'bearer') {
    // The scheme is not echoed: a client that forgot "Bearer " would see its token in the error.
    throw new AuthError(
      'auth_failed',
      'the Authorization header must use the Bearer scheme: "Bearer <token>"',
    );
  }
  const token = match?.[2]?.trim();
  if (!token) throw new AuthError('auth_failed', 'the Authorization header has no token after "Bearer"');
  return token;
}

function checked(token: string): string {
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new AuthError('auth_failed', `token is longer than ${MAX_TOKEN_LENGTH} characters`);
  }
  return token;
}

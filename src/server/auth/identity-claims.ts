/**
 * Turns verified JWT claims into an `Identity`. Workspace and user ids end up in database keys,
 * log lines and file paths (a session's workspace folder), so they are checked here, once, at the
 * edge: trimmed, at most 128 characters, only `[A-Za-z0-9._@:-]`, and never `.` or `..`.
 * Values outside that set are rejected rather than rewritten, because two different subjects
 * must never map to the same id.
 */
import type { Identity } from '../../store/store.js';
import { AuthError } from './auth-error.js';

export const MAX_IDENTITY_LENGTH = 128;
const ALLOWED = /^[A-Za-z0-9._@:-]+$/;
const ONLY_DOTS = /^\.+$/;
const MAX_PROFILE_LENGTH = 320;

/** Where each identity part is read from, first present claim wins. */
export const WORKSPACE_CLAIMS = ['tid', 'workspace_id'] as const;
export const USER_CLAIMS = ['oid', 'sub', 'user_id'] as const;

/** Returns why `value` cannot be an identity part, or undefined when it can (after trimming). */
export function identityValueProblem(value: string): string | undefined {
  const trimmed = value.trim();
  if (!trimmed) return 'is empty';
  if (trimmed.length > MAX_IDENTITY_LENGTH) return `is longer than ${MAX_IDENTITY_LENGTH} characters`;
  if (!ALLOWED.test(trimmed)) return 'may only contain letters, digits and . _ @ : -';
  if (ONLY_DOTS.test(trimmed)) return 'may not consist of dots only';
  return undefined;
}

export function identityFromClaims(claims: Record<string, unknown>): Identity {
  return {
    workspaceId: identityPart(claims, WORKSPACE_CLAIMS, 'workspace'),
    userId: identityPart(claims, USER_CLAIMS, 'user'),
  };
}

/** `email` and `name` are display-only: kept when they are strings, capped, never validated. */
export function profileFromClaims(claims: Record<string, unknown>): { email?: string; name?: string } {
  const text = (value: unknown) =>
    typeof value === 'string' && value.trim() ? value.trim().slice(0, MAX_PROFILE_LENGTH) : undefined;
  const email = text(claims.email);
  const name = text(claims.name);
  return { ...(email && { email }), ...(name && { name }) };
}

function identityPart(claims: Record<string, unknown>, names: readonly string[], what: string): string {
  const name = names.find((claim) => claims[claim] !== undefined && claims[claim] !== null);
  const expected = names.map((claim) => `"${claim}"`).join(' or ');
  if (name === undefined) throw new AuthError('auth_failed', `token has no ${what} claim (${expected})`);
  const raw = claims[name];
  // Numeric ids are common in some identity providers; anything else is not an id.
  const value =
    typeof raw === 'string'
      ? raw
      : typeof raw === 'number' && Number.isSafeInteger(raw)
        ? String(raw)
        : undefined;
  if (value === undefined) throw new AuthError('auth_failed', `token claim "${name}" must be a string`);
  const problem = identityValueProblem(value);
  if (problem) throw new AuthError('auth_failed', `token claim "${name}" ${problem}`);
  return value.trim();
}

/**
 * What the sessions module refuses, with the wire code clients see. Someone else's session,
 * document or turn is reported exactly like one that does not exist: the code, the status and
 * the message never tell the two apart.
 */
import type { ErrorCode } from '../contract/error-codes.js';

export type SessionErrorCode = Extract<
  ErrorCode,
  'session_not_found' | 'session_archived' | 'document_not_found' | 'turn_not_found' | 'quota_exceeded'
>;

const marker = Symbol.for('fleet-rlm.SessionError');

export class SessionError extends Error {
  readonly [marker] = true;
  constructor(
    readonly code: SessionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SessionError';
  }

  static isInstance(error: unknown): error is SessionError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

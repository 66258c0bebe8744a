/**
 * What the sessions module refuses, with the wire code clients see. Someone else's session,
 * document or turn is reported exactly like one that does not exist: the code, the status and
 * the message never tell the two apart.
 */
import type { ErrorCode } from '../contract/error-codes.js';
import { FleetError } from '../contract/fleet-error.js';

export type SessionErrorCode = Extract<
  ErrorCode,
  'session_not_found' | 'session_archived' | 'document_not_found' | 'turn_not_found' | 'quota_exceeded'
>;

export class SessionError extends FleetError<SessionErrorCode> {
  static override readonly errorName = 'SessionError';

  constructor(code: SessionErrorCode, message: string) {
    super(code, message);
  }
}

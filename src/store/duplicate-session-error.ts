/**
 * What `SessionStore.createSession` throws when the id the caller chose exists already (whoever
 * owns it). The turn runner handles it; should it ever escape, it is an internal error.
 */
import { FleetError } from '../contract/fleet-error.js';

export class DuplicateSessionError extends FleetError<'internal_error'> {
  static override readonly errorName = 'DuplicateSessionError';

  constructor(readonly sessionId: string) {
    super('internal_error', `a session with id ${sessionId} exists already`);
  }
}

/** What `SessionStore.createSession` throws when the id the caller chose exists already (whoever owns it). */
const duplicateSessionMarker = Symbol.for('fleet-rlm.DuplicateSessionError');

export class DuplicateSessionError extends Error {
  readonly [duplicateSessionMarker] = true;
  constructor(readonly sessionId: string) {
    super(`a session with id ${sessionId} exists already`);
    this.name = 'DuplicateSessionError';
  }

  static isInstance(error: unknown): error is DuplicateSessionError {
    return typeof error === 'object' && error !== null && duplicateSessionMarker in error;
  }
}

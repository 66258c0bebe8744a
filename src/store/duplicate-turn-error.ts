/** What `TurnStore.createTurn` throws when the session already has a turn for the client's message id. */
const duplicateMarker = Symbol.for('fleet-rlm.DuplicateTurnError');

export class DuplicateTurnError extends Error {
  readonly [duplicateMarker] = true;
  constructor(
    readonly sessionId: string,
    readonly clientMessageId: string,
  ) {
    super(`session ${sessionId} already has a turn for client_message_id ${clientMessageId}`);
    this.name = 'DuplicateTurnError';
  }

  static isInstance(error: unknown): error is DuplicateTurnError {
    return typeof error === 'object' && error !== null && duplicateMarker in error;
  }
}

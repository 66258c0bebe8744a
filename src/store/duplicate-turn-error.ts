/**
 * What `TurnStore.createTurn` throws when the session already has a turn for the client's
 * message id. The turn runner handles it (the client joins that turn); should it ever escape,
 * it is an internal error.
 */
import { FleetError } from '../contract/fleet-error.js';

export class DuplicateTurnError extends FleetError<'internal_error'> {
  static override readonly errorName = 'DuplicateTurnError';

  constructor(
    readonly sessionId: string,
    readonly clientMessageId: string,
  ) {
    super(
      'internal_error',
      `session ${sessionId} already has a turn for client_message_id ${clientMessageId}`,
    );
  }
}

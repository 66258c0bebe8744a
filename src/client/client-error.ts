/**
 * The one error class of the fleet-rlm clients (WebSocket and HTTP). `reason` says what went
 * wrong on our side of the wire; `code` and `status` carry what the server said, when it said
 * anything, so callers can branch on the server's stable error catalogue.
 */

export type ClientErrorReason =
  /** A frame we were asked to send does not match `clientFrame`; nothing was sent. */
  | 'invalid_frame'
  /** The server could not be reached (refused, DNS, timeout). */
  | 'connect_failed'
  /** The server answered the upgrade or request with an HTTP error (e.g. 401 auth_required). */
  | 'rejected'
  /** The connection dropped and every reconnect attempt failed. */
  | 'reconnect_failed'
  /** The connection dropped while a command waited for its answer; it may or may not have run. */
  | 'interrupted'
  /** The client was closed. */
  | 'closed'
  /** An `error` envelope answered a command. */
  | 'server_error'
  /** A response did not match the schema it is documented with. */
  | 'invalid_response';

// instanceof fails when two copies of the package are loaded; the marker survives that.
const marker = Symbol.for('fleet-rlm.ClientError');

export class ClientError extends Error {
  readonly [marker] = true;
  /** The server's error code (`auth_required`, `session_not_found`, …), when it sent one. */
  readonly code?: string;
  /** The HTTP status, for HTTP answers. */
  readonly status?: number;

  constructor(
    readonly reason: ClientErrorReason,
    message: string,
    details: { code?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ClientError';
    this.code = details.code;
    this.status = details.status;
  }

  static isInstance(error: unknown): error is ClientError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

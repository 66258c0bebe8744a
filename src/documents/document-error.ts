/**
 * The one error type of the document sources (uploads, pasted text, URLs, workspace files).
 * `code` is stable and machine-readable (the server maps it to an HTTP status, the agent's
 * `load_document` tool shows the message to the model); the message says what happened and what
 * to do about it.
 */
export type DocumentErrorCode =
  | 'too_large'
  | 'unsupported_type'
  | 'invalid_url'
  | 'blocked_address'
  | 'fetch_failed'
  | 'too_many_redirects'
  | 'timeout'
  | 'not_found'
  | 'outside_workspace'
  | 'extraction_failed'
  | 'empty'
  /** A zip-based document built to hurt: a compression ratio past the limit, sizes that lie. */
  | 'unsafe_archive'
  | 'parse_timeout'
  | 'parse_out_of_memory'
  /** Every parse slot is taken and the queue is full. */
  | 'busy';

// `instanceof` fails when two copies of this package are loaded; the marker does not.
const marker = Symbol.for('fleet-rlm.DocumentError');

export class DocumentError extends Error {
  readonly [marker] = true;
  constructor(
    readonly code: DocumentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DocumentError';
  }

  static isInstance(error: unknown): error is DocumentError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

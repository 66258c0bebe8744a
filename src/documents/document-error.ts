/**
 * The one error type of the document sources (uploads, pasted text, URLs, workspace files).
 * `kind` is stable and machine-readable, and its catalogue code is `document_<kind>` (the
 * server answers with that code's status; the agent's `load_document` tool shows the message to
 * the model); the message says what happened and what to do about it.
 */
import type { ErrorCode } from '../contract/error-codes.js';
import { FleetError } from '../contract/fleet-error.js';

/**
 * The document errors' kinds: the catalogue's `document_*` codes without their prefix (`too_large`,
 * `unsafe_archive`: a zip built to hurt, `busy`: every parse slot taken and the queue full, ...).
 */
export type DocumentErrorKind = WithoutPrefix<ErrorCode>;
type WithoutPrefix<Code> = Code extends `document_${infer Kind}` ? Kind : never;

export class DocumentError extends FleetError<`document_${DocumentErrorKind}`> {
  static override readonly errorName = 'DocumentError';

  constructor(
    readonly kind: DocumentErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`document_${kind}`, message, options);
  }
}

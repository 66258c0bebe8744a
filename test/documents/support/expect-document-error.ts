/** Awaits a promise that must reject with a `DocumentError` of the given kind, and returns it. */
import { expect } from 'vitest';
import { DocumentError, type DocumentErrorKind } from '../../../src/documents/document-error.js';

export async function expectDocumentError(
  promise: Promise<unknown>,
  kind: DocumentErrorKind,
): Promise<DocumentError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(DocumentError.isInstance(error), `expected a DocumentError, got ${String(error)}`).toBe(true);
  expect((error as DocumentError).kind).toBe(kind);
  return error as DocumentError;
}

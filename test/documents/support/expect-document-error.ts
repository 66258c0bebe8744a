/** Awaits a promise that must reject with a `DocumentError` of the given code, and returns it. */
import { expect } from 'vitest';
import { DocumentError, type DocumentErrorCode } from '../../../src/documents/document-error.js';

export async function expectDocumentError(
  promise: Promise<unknown>,
  code: DocumentErrorCode,
): Promise<DocumentError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(DocumentError.isInstance(error), `expected a DocumentError, got ${String(error)}`).toBe(true);
  expect((error as DocumentError).code).toBe(code);
  return error as DocumentError;
}

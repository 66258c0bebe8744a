/**
 * The inside of a document parse worker: extracts the text of the bytes it was handed (they were
 * transferred, not copied) and posts one reply. Everything that can blow up on a hostile document
 * (pdf.js, mammoth, html-to-text, inflating zip parts) runs here, under the heap limit and the
 * timeout the host set; a `DocumentError` crosses back as its kind and message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../util/text.js';
import type { TypeHints } from './detect-type.js';
import { DocumentError, type DocumentErrorKind } from './document-error.js';
import { extractText } from './extract-text.js';
import type { ZipLimits } from './guarded-zip.js';

export interface ParseRequest {
  bytes: Uint8Array;
  hints: TypeHints;
  limits: ZipLimits;
}

/** `started` first (the worker is up and its code loaded), then exactly one result. */
export type ParseReply =
  | { kind: 'started' }
  | { kind: 'text'; text: string; mimeType: string }
  | { kind: 'error'; errorKind: DocumentErrorKind; message: string };

const { bytes, hints, limits } = workerData as ParseRequest;
const port = parentPort!;
port.postMessage({ kind: 'started' } satisfies ParseReply);

try {
  const { text, mimeType } = await extractText(bytes, hints, limits);
  port.postMessage({ kind: 'text', text, mimeType } satisfies ParseReply);
} catch (error) {
  port.postMessage(
    (DocumentError.isInstance(error)
      ? { kind: 'error', errorKind: error.kind, message: error.message }
      : {
          kind: 'error',
          errorKind: 'extraction_failed',
          message:
            `Could not read '${hints.name ?? 'untitled'}': ${errorMessage(error)}. The file may be damaged; ` +
            'open and save it again, or paste its text instead.',
        }) satisfies ParseReply,
  );
}

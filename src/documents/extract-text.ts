/**
 * Bytes of any supported document to plain text: detects the type (`detect-type.ts`), runs the
 * matching extractor, and refuses what it cannot read with a message naming the type found.
 * An extraction that yields no text is an error too: an empty document is never what the user
 * meant to give the agent. This runs in the calling thread: the server only calls it inside a
 * parse worker (`parse-document.ts`), which bounds its time and memory.
 */

import { DOCUMENT_PARSE_DEFAULTS } from '../config/config.js';
import { decodeText } from './decode-text.js';
import { type DetectedType, detectType, type TypeHints } from './detect-type.js';
import { DocumentError } from './document-error.js';
import { formatBytes } from './format-bytes.js';
import type { ZipLimits } from './guarded-zip.js';

export interface ExtractedText {
  text: string;
  /** The detected type of the bytes (e.g. `application/pdf`), which may differ from the hint. */
  mimeType: string;
}

export async function extractText(
  input: Uint8Array,
  hints: TypeHints,
  limits: ZipLimits = DOCUMENT_PARSE_DEFAULTS,
): Promise<ExtractedText> {
  const bytes = plainBytes(input);
  const type = detectType(bytes, hints);
  const name = hints.name ?? 'untitled';
  const text = await extractByKind(type, bytes, name, limits);
  if (text.trim() === '') throw emptyError(type, name);
  // The inflated-size limit bounds what a document may expand to, text included (a small PDF can
  // repeat one page's text thousands of times).
  if (text.length > limits.maxInflatedBytes) {
    throw new DocumentError(
      'too_large',
      `'${name}' yields ${text.length} characters of text, over the ${formatBytes(limits.maxInflatedBytes)} ` +
        'limit for an unpacked document (FLEET_DOCUMENT_MAX_INFLATED_BYTES); split the document, or raise the limit.',
    );
  }
  return { text, mimeType: type.mimeType };
}

/**
 * The bytes as a plain `Uint8Array` over the same memory. A Node `Buffer` (e.g. a multipart
 * upload's) is a `Uint8Array` subclass that pdf.js refuses outright, so no extractor gets one.
 */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

async function extractByKind(
  type: DetectedType,
  bytes: Uint8Array,
  name: string,
  limits: ZipLimits,
): Promise<string> {
  // Each extractor is loaded when its kind first appears: a parse worker reading a text file
  // then starts in tens of milliseconds instead of first loading mammoth and html-to-text.
  switch (type.kind) {
    case 'pdf':
      return (await import('./extract-pdf.js')).extractPdfText(bytes, name);
    case 'docx':
      return (await import('./extract-docx.js')).extractDocxText(bytes, name, limits);
    case 'html':
      return (await import('./extract-html.js')).extractHtmlText(bytes);
    case 'text':
      return decodeText(bytes);
    case 'unsupported':
      throw new DocumentError(
        'unsupported_type',
        `'${name}' is ${type.mimeType}, which cannot be read as text. Supported: PDF, Word (.docx), HTML, ` +
          'and text files (plain text, Markdown, CSV, JSON, source code); convert it to one of those first.',
      );
  }
}

function emptyError(type: DetectedType, name: string): DocumentError {
  const detail =
    type.kind === 'pdf'
      ? 'the PDF has no text layer (it is probably scanned images); run OCR on it first, or paste its text'
      : 'it contains no text; check that this is the file you meant';
  return new DocumentError('empty', `No text could be extracted from '${name}': ${detail}.`);
}

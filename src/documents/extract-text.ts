/**
 * Bytes of any supported document to plain text: detects the type (`detect-type.ts`), runs the
 * matching extractor, and refuses what it cannot read with a message naming the type found.
 * An extraction that yields no text is an error too: an empty document is never what the user
 * meant to give the agent.
 */

import { decodeText } from './decode-text.js';
import { type DetectedType, detectType, type TypeHints } from './detect-type.js';
import { DocumentError } from './document-error.js';
import { extractDocxText } from './extract-docx.js';
import { extractHtmlText } from './extract-html.js';
import { extractPdfText } from './extract-pdf.js';

export interface ExtractedText {
  text: string;
  /** The detected type of the bytes (e.g. `application/pdf`), which may differ from the hint. */
  mimeType: string;
}

export async function extractText(bytes: Uint8Array, hints: TypeHints): Promise<ExtractedText> {
  const type = detectType(bytes, hints);
  const name = hints.name ?? 'untitled';
  const text = await extractByKind(type, bytes, name);
  if (text.trim() === '') throw emptyError(type, name);
  return { text, mimeType: type.mimeType };
}

async function extractByKind(type: DetectedType, bytes: Uint8Array, name: string): Promise<string> {
  switch (type.kind) {
    case 'pdf':
      return extractPdfText(bytes, name);
    case 'docx':
      return extractDocxText(bytes, name);
    case 'html':
      return extractHtmlText(bytes);
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

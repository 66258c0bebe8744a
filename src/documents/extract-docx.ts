/** Word (.docx) text through mammoth: paragraphs as plain text, formatting and images dropped. */
import mammoth from 'mammoth';
import { errorMessage } from '../util/text.js';
import { DocumentError } from './document-error.js';

export async function extractDocxText(bytes: Uint8Array, name: string): Promise<string> {
  try {
    const result = await mammoth.extractRawText({
      buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    });
    return result.value;
  } catch (error) {
    throw new DocumentError(
      'extraction_failed',
      `Could not read the Word document '${name}': ${errorMessage(error)}. The file may be damaged or not ` +
        'a real .docx (an old .doc renamed?); open and save it as .docx again, or paste its text instead.',
      { cause: error },
    );
  }
}

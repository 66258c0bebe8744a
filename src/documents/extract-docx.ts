/**
 * Word (.docx) text through mammoth: paragraphs as plain text, formatting and images dropped.
 * mammoth reads the parts through a `GuardedZip` (its `file` input: any object with `exists` and
 * `read`, the shape of its own zip wrapper), so the archive limits hold for every part it opens.
 */
import mammoth from 'mammoth';
import { errorMessage } from '../util/text.js';
import { DocumentError } from './document-error.js';
import { GuardedZip, type ZipLimits } from './guarded-zip.js';

export async function extractDocxText(bytes: Uint8Array, name: string, limits: ZipLimits): Promise<string> {
  const zip = GuardedZip.open(bytes, name, limits);
  const file = {
    exists: (path: string) => zip.exists(path),
    read: async (path: string, encoding?: string) => {
      const data = zip.read(path);
      if (encoding === 'base64')
        return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
      return encoding ? new TextDecoder(encoding).decode(data) : data;
    },
  };
  try {
    // `file` is part of mammoth's input handling (lib/unzip.js) but not of its type declarations.
    const result = await mammoth.extractRawText({ file } as unknown as { buffer: Buffer });
    return result.value;
  } catch (error) {
    if (DocumentError.isInstance(error)) throw error;
    throw new DocumentError(
      'extraction_failed',
      `Could not read the Word document '${name}': ${errorMessage(error)}. The file may be damaged or not ` +
        'a real .docx (an old .doc renamed?); open and save it as .docx again, or paste its text instead.',
      { cause: error },
    );
  }
}

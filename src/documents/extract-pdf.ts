/**
 * PDF text through pdf.js (Mozilla's `pdfjs-dist`, legacy build for Node). Runs in this thread:
 * in Node pdf.js uses its "fake worker" (the worker code imported and run in-process), so there
 * is no worker thread to manage. Everything it needs is read from the package on disk (standard
 * font metrics, CMaps, wasm decoders), so it works offline; warnings are turned off (pdf.js
 * writes them with console.warn, e.g. "Indexing all PDF objects" for a damaged xref table).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { errorMessage } from '../util/text.js';
import { DocumentError } from './document-error.js';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

let pdfjsModule: Promise<PdfJs> | undefined;

// Loaded on first use: pdf.js is large, and most sessions never see a PDF.
function loadPdfJs(): Promise<PdfJs> {
  pdfjsModule ??= import('pdfjs-dist/legacy/build/pdf.mjs').catch((error: unknown) => {
    // pdfjs-dist 5 builds a DOMMatrix at import time, which Node only has through its optional
    // dependency @napi-rs/canvas (a native package); without it the import itself throws.
    throw new DocumentError(
      'extraction_failed',
      `PDF support could not start: ${errorMessage(error)}. Reinstall the dependencies so that ` +
        "pdfjs-dist's optional native package @napi-rs/canvas is present (npm install), or paste the text instead.",
      { cause: error },
    );
  });
  return pdfjsModule;
}

const packageRoot = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
// pdf.js wants directory URLs with a trailing slash; in Node they are plain paths read with fs.
const assetDirectory = (name: string) => `${join(packageRoot, name)}/`;

export async function extractPdfText(bytes: Uint8Array, name: string): Promise<string> {
  const pdfjs = await loadPdfJs();
  const task = pdfjs.getDocument({
    // pdf.js transfers (detaches) the buffer it is given; a copy keeps the caller's bytes intact.
    data: bytes.slice(),
    verbosity: pdfjs.VerbosityLevel.ERRORS,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    standardFontDataUrl: assetDirectory('standard_fonts'),
    cMapUrl: assetDirectory('cmaps'),
    cMapPacked: true,
    wasmUrl: assetDirectory('wasm'),
    iccUrl: assetDirectory('iccs'),
  });
  try {
    const document = await task.promise;
    const pages: string[] = [];
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if ('str' in item) text += item.hasEOL ? `${item.str}\n` : item.str;
      }
      pages.push(text.trim());
      page.cleanup();
    }
    return pages.join('\n\n');
  } catch (error) {
    throw pdfError(error, name);
  } finally {
    await task.destroy();
  }
}

function pdfError(error: unknown, name: string): DocumentError {
  if ((error as { name?: string } | undefined)?.name === 'PasswordException') {
    return new DocumentError(
      'extraction_failed',
      `'${name}' is a password-protected PDF; remove the password (or print it to a new PDF) and load it again.`,
      { cause: error },
    );
  }
  return new DocumentError(
    'extraction_failed',
    `Could not read the PDF '${name}': ${errorMessage(error)} The file may be damaged or truncated; ` +
      'open and re-save it, or paste its text instead.',
    { cause: error },
  );
}

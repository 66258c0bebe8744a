/**
 * `extractText` on real files built in the test: PDFs through pdf.js, DOCX through mammoth, HTML
 * through html-to-text, text in its encodings, and the refusals (unsupported, corrupt, empty).
 */
import { describe, expect, it } from 'vitest';
import { DOCX_MIME } from '../../src/documents/detect-type.js';
import { extractText } from '../../src/documents/extract-text.js';
import { buildDocx } from './support/build-docx.js';
import { buildPdf } from './support/build-pdf.js';
import { buildZip } from './support/build-zip.js';
import { expectDocumentError } from './support/expect-document-error.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);

describe('PDF', () => {
  it('extracts the text of each page, pages separated by a blank line', async () => {
    const bytes = buildPdf(['Hello page one', 'Second (page) text']);
    const result = await extractText(bytes, { name: 'report.pdf', mimeType: 'application/pdf' });
    expect(result).toEqual({ text: 'Hello page one\n\nSecond (page) text', mimeType: 'application/pdf' });
    // pdf.js detaches the buffer it is handed; the caller's bytes must survive.
    expect(bytes.byteLength).toBeGreaterThan(0);
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
  });

  it('reads a Node Buffer, which pdf.js itself refuses (a multipart upload is one)', async () => {
    const result = await extractText(Buffer.from(buildPdf(['In a Buffer'])), { name: 'upload.pdf' });
    expect(result).toEqual({ text: 'In a Buffer', mimeType: 'application/pdf' });
  });

  it('trusts the magic bytes over a misleading name and type', async () => {
    const result = await extractText(buildPdf(['Disguised']), { name: 'notes.txt', mimeType: 'text/plain' });
    expect(result).toEqual({ text: 'Disguised', mimeType: 'application/pdf' });
  });

  it('reports a PDF without a text layer as empty, saying why', async () => {
    const error = await expectDocumentError(extractText(buildPdf([]), { name: 'scan.pdf' }), 'empty');
    expect(error.message).toContain('no text layer');
    expect(error.message).toContain('scan.pdf');
  });

  it('reports a corrupt PDF as extraction_failed with the reason from pdf.js', async () => {
    const truncated = buildPdf(['Hello']).slice(0, 120);
    const error = await expectDocumentError(
      extractText(truncated, { name: 'broken.pdf' }),
      'extraction_failed',
    );
    expect(error.message).toContain('Invalid PDF structure');
    expect(error.message).toContain('broken.pdf');
  });
});

describe('DOCX', () => {
  it('extracts the raw text of a Word document', async () => {
    const result = await extractText(buildDocx(['First paragraph', 'Second <b> & paragraph 🎉']), {
      name: 'letter.docx',
    });
    expect(result.mimeType).toBe(DOCX_MIME);
    expect(result.text.trim()).toBe('First paragraph\n\nSecond <b> & paragraph 🎉');
  });

  it('recognises a DOCX by its content alone', async () => {
    const result = await extractText(buildDocx(['Found by magic']), { name: 'upload.bin' });
    expect(result.mimeType).toBe(DOCX_MIME);
    expect(result.text).toContain('Found by magic');
  });

  it('reports a corrupt DOCX as extraction_failed with the reason from mammoth', async () => {
    const truncated = buildDocx(['Hello']).slice(0, 200);
    const error = await expectDocumentError(
      extractText(truncated, { name: 'broken.docx' }),
      'extraction_failed',
    );
    expect(error.message).toContain('Corrupted zip');
  });

  it('refuses other zip files by their type', async () => {
    const spreadsheet = buildZip({ '[Content_Types].xml': '<Types/>', 'xl/workbook.xml': '<workbook/>' });
    const sheetError = await expectDocumentError(
      extractText(spreadsheet, { name: 'data.xlsx' }),
      'unsupported_type',
    );
    expect(sheetError.message).toContain('spreadsheetml');
    const archive = buildZip({ 'readme.txt': 'hello' });
    const zipError = await expectDocumentError(extractText(archive, {}), 'unsupported_type');
    expect(zipError.message).toContain('application/zip');
  });
});

describe('HTML', () => {
  const page = `<!DOCTYPE html><html><head><title>Page title</title>
    <style>.x { color: red }</style><script>var secret = "script body";</script></head>
    <body><nav><a href="/home">Site navigation</a></nav>
    <h1>Main heading</h1><p>Read <a href="https://example.com/more">the details</a> here.
    <img src="chart.png" alt="chart alt text"></p><noscript>enable js</noscript>
    <ul><li>one</li><li>two</li></ul></body></html>`;

  it('keeps the readable text and link text, and drops scripts, styles, navigation and images', async () => {
    const { text, mimeType } = await extractText(utf8(page), { name: 'page.html' });
    expect(mimeType).toBe('text/html');
    expect(text).toContain('Main heading');
    expect(text).toContain('Read the details here.');
    expect(text).toContain('* one');
    for (const dropped of [
      'color: red',
      'script body',
      'Site navigation',
      'chart',
      'example.com',
      'enable js',
    ]) {
      expect(text).not.toContain(dropped);
    }
  });

  it('detects HTML from the declared type and from the content when there is no label', async () => {
    expect((await extractText(utf8('<p>Declared</p>'), { mimeType: 'text/html; charset=utf-8' })).text).toBe(
      'Declared',
    );
    const sniffed = await extractText(utf8(page), {});
    expect(sniffed.mimeType).toBe('text/html');
    expect(sniffed.text).not.toContain('script body');
  });
});

describe('text', () => {
  it('decodes UTF-8, strips a BOM and keeps emoji', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('héllo 🎉 world\n')]);
    expect(await extractText(bytes, { name: 'notes.txt' })).toEqual({
      text: 'héllo 🎉 world\n',
      mimeType: 'text/plain',
    });
  });

  it('replaces invalid UTF-8 instead of failing', async () => {
    const bytes = new Uint8Array([...utf8('before '), 0xc3, 0x28, ...utf8(' after')]);
    expect((await extractText(bytes, { name: 'log.log' })).text).toBe('before \uFFFD( after');
  });

  it('decodes UTF-16 with a byte order mark', async () => {
    const bytes = new Uint8Array([0xff, 0xfe, ...Buffer.from('wide ✓', 'utf16le')]);
    expect((await extractText(bytes, { name: 'wide.txt' })).text).toBe('wide ✓');
  });

  it.each([
    ['data.json', '{"a": 1}', 'application/json'],
    ['table.csv', 'a,b\n1,2', 'text/csv'],
    ['README.md', '# Title', 'text/markdown'],
    ['main.py', 'print("hi")', 'text/x-python'],
    ['index.ts', 'export const x = 1;', 'text/x-typescript'],
  ])('reads %s as text by its extension', async (name, content, mimeType) => {
    expect(await extractText(utf8(content), { name })).toEqual({ text: content, mimeType });
  });

  it('reads unlabelled text and text under a generic type', async () => {
    expect(await extractText(utf8('plain words'), {})).toEqual({
      text: 'plain words',
      mimeType: 'text/plain',
    });
    const generic = await extractText(utf8('x = 1'), { name: 'a.py', mimeType: 'application/octet-stream' });
    expect(generic.mimeType).toBe('text/x-python');
  });

  it('reports empty and whitespace-only text as empty', async () => {
    await expectDocumentError(extractText(new Uint8Array(), { name: 'empty.txt' }), 'empty');
    const error = await expectDocumentError(extractText(utf8(' \n\t '), { name: 'blank.md' }), 'empty');
    expect(error.message).toContain('blank.md');
  });
});

describe('unsupported types', () => {
  it('refuses a PNG by name, whatever it is labelled', async () => {
    for (const hints of [{ name: 'image.png' }, { name: 'notes.txt', mimeType: 'text/plain' }, {}]) {
      const error = await expectDocumentError(extractText(PNG, hints), 'unsupported_type');
      expect(error.message).toContain('image/png');
      expect(error.message).toContain('Supported: PDF');
    }
  });

  it('refuses a declared binary type and unlabelled binary bytes', async () => {
    const binary = new Uint8Array([1, 2, 0, 3, 4, 0, 255]);
    const declared = await expectDocumentError(
      extractText(binary, { mimeType: 'audio/wav' }),
      'unsupported_type',
    );
    expect(declared.message).toContain('audio/wav');
    const unlabelled = await expectDocumentError(extractText(binary, {}), 'unsupported_type');
    expect(unlabelled.message).toContain('application/octet-stream');
  });

  it('names legacy Office files', async () => {
    const ole = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]);
    const error = await expectDocumentError(extractText(ole, { name: 'old.doc' }), 'unsupported_type');
    expect(error.message).toContain('application/x-ole-storage');
  });
});

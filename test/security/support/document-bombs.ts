/**
 * Hostile documents built in the test (nothing committed): Word files that inflate to hundreds of
 * megabytes, one whose zip directory lies about its sizes, one with a huge compression ratio, one
 * within every zip limit that is merely heavy to parse; a small PDF that keeps pdf.js busy for
 * half a minute and one that makes it allocate gigabytes. Plus normal documents, to show they
 * still load. Big entries are deflated as a stream: building a 400 MB bomb never holds 400 MB.
 */
import { crc32, createDeflateRaw, deflateRawSync, deflateSync } from 'node:zlib';
import { CONTENT_TYPES, RELS } from '../../documents/support/build-docx.js';
import { buildRawZip, type RawZipEntry } from '../../documents/support/build-zip.js';

/** Deflates `head`, then `chunk` `repeat` times, then `tail`, without joining them first. */
async function deflateRepeated(
  head: string,
  chunk: (index: number) => string,
  repeat: number,
  tail: string,
): Promise<{ data: Buffer; crc: number; size: number }> {
  const deflate = createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  let crc = 0;
  let size = 0;
  const write = async (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    crc = crc32(bytes, crc);
    size += bytes.length;
    if (!deflate.write(bytes)) await new Promise((resolve) => deflate.once('drain', resolve));
  };
  await write(head);
  // Chunks are batched to about 1 MB per write: fewer, larger writes deflate much faster.
  let batch = '';
  for (let index = 0; index < repeat; index++) {
    batch += chunk(index);
    if (batch.length >= 1 << 20) {
      await write(batch);
      batch = '';
    }
  }
  await write(batch + tail);
  deflate.end();
  await done;
  return { data: Buffer.concat(parts), crc, size };
}

function smallEntry(name: string, text: string): RawZipEntry {
  const bytes = Buffer.from(text, 'utf8');
  return { name, data: deflateRawSync(bytes), crc: crc32(bytes), size: bytes.length };
}

const DOCUMENT_HEAD = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`;
const DOCUMENT_TAIL = '</w:body></w:document>';

const paragraph = (text: string) => `<w:p><w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`;

async function docxWithBody(
  chunk: (index: number) => string,
  repeat: number,
  declaredSize?: number,
): Promise<Uint8Array> {
  const document = await deflateRepeated(DOCUMENT_HEAD, chunk, repeat, DOCUMENT_TAIL);
  return buildRawZip([
    smallEntry('[Content_Types].xml', CONTENT_TYPES),
    smallEntry('_rels/.rels', RELS),
    { name: 'word/document.xml', ...document, size: declaredSize ?? document.size },
  ]);
}

const MB = 1024 * 1024;
const JACK = paragraph('All work and no play makes Jack a dull boy. ');

/** A DOCX whose document.xml honestly declares and inflates to about `inflatedMb` MB. */
export function inflatingDocx(inflatedMb = 400): Promise<Uint8Array> {
  return docxWithBody(() => JACK, Math.ceil((inflatedMb * MB) / JACK.length));
}

/** The same bomb, but its headers claim document.xml inflates to 20 KB. */
export function lyingDocx(inflatedMb = 300): Promise<Uint8Array> {
  return docxWithBody(() => JACK, Math.ceil((inflatedMb * MB) / JACK.length), 20_000);
}

/** A DOCX under the size limit whose document.xml compresses about 1000:1 (`ratioMb` MB inflated). */
export function highRatioDocx(ratioMb = 150): Promise<Uint8Array> {
  return docxWithBody(() => JACK, Math.ceil((ratioMb * MB) / JACK.length));
}

/**
 * A DOCX within every size and ratio limit that is heavy to parse: many short paragraphs with
 * varied text, so it compresses about 12:1, yet mammoth needs about 2 GB of heap and 9 s for it.
 */
export function heavyDocx(paragraphs = 1_500_000): Promise<Uint8Array> {
  return docxWithBody((index) => paragraph(`w${(index * 2654435761) % 1_000_003}`), paragraphs);
}

/** A normal Word document: a few paragraphs, for "still works afterwards". */
export function normalDocx(paragraphs: readonly string[]): Uint8Array {
  const body = paragraphs.map((text) => paragraph(text)).join('');
  return buildRawZip([
    smallEntry('[Content_Types].xml', CONTENT_TYPES),
    smallEntry('_rels/.rels', RELS),
    smallEntry('word/document.xml', `${DOCUMENT_HEAD}${body}${DOCUMENT_TAIL}`),
  ]);
}

/**
 * A small PDF that keeps pdf.js busy: `pages` pages all drawing the same deflated content stream,
 * which holds `operators` text-positioning operators. The file stays tiny (the stream is stored
 * once and compresses well), while the text extraction walks every operator once per page. pdf.js
 * yields between operators, so in the server's thread this is a CPU hog rather than one long
 * block: about 30 s of a busy event loop at the defaults.
 */
export function slowPdf(options: { pages?: number; operators?: number } = {}): Uint8Array {
  const pages = options.pages ?? 400;
  const operators = options.operators ?? 200_000;
  const content = `BT /F1 12 Tf 72 720 Td (Slow) Tj ${'0 0 Td '.repeat(operators)}ET`;
  const stream = deflateSync(Buffer.from(content, 'latin1'));
  const pageIds = Array.from({ length: pages }, (_, index) => 5 + index);
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from(`<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages} >>`),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'),
    Buffer.concat([
      Buffer.from(`<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`),
      stream,
      Buffer.from('\nendstream'),
    ]),
    ...pageIds.map(() =>
      Buffer.from(
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>',
      ),
    ),
  ];
  return pdfOf(objects);
}

/**
 * A small PDF that makes pdf.js allocate gigabytes: its one page's deflated content stream holds a
 * single array of `arrays` empty arrays, which the parser builds in one piece: two bytes of input,
 * one JavaScript array object on the heap.
 */
export function heavyPdf(arrays = 30_000_000): Uint8Array {
  const content = `BT /F1 12 Tf 72 720 Td (Heavy) Tj [${'[]'.repeat(arrays)}] TJ ET`;
  return onePagePdf(deflateSync(Buffer.from(content, 'latin1')));
}

function onePagePdf(deflatedContent: Buffer): Uint8Array {
  return pdfOf([
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [4 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'),
    Buffer.from(
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>',
    ),
    Buffer.concat([
      Buffer.from(`<< /Length ${deflatedContent.length} /Filter /FlateDecode >>\nstream\n`),
      deflatedContent,
      Buffer.from('\nendstream'),
    ]),
  ]);
}

/** A normal one-page-per-string PDF, for "still works afterwards". */
export function normalPdf(pageTexts: readonly string[]): Uint8Array {
  const pageIds = pageTexts.map((_, index) => 4 + index * 2);
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from(
      `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageTexts.length} >>`,
    ),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'),
  ];
  pageTexts.forEach((text, index) => {
    const content = `BT /F1 18 Tf 72 720 Td (${text.replace(/[\\()]/g, (char) => `\\${char}`)}) Tj ET`;
    objects.push(
      Buffer.from(
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageIds[index]! + 1} 0 R >>`,
      ),
      Buffer.from(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`),
    );
  });
  return pdfOf(objects);
}

/** Numbers the objects from 1 and writes the header, a correct xref table and the trailer. */
function pdfOf(objects: readonly Buffer[]): Uint8Array {
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(length);
    const part = Buffer.concat([Buffer.from(`${index + 1} 0 obj\n`), object, Buffer.from('\nendobj\n')]);
    parts.push(part);
    length += part.length;
  });
  let xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) xref += `${String(offset).padStart(10, '0')} 00000 n \n`;
  xref += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return new Uint8Array(Buffer.concat(parts));
}

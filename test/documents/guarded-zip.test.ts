/**
 * `GuardedZip` on archives built in the test: the central directory is judged before anything is
 * inflated (declared total, per-entry ratio, entry count, encryption, methods), and every read is
 * held to the entry's declared size, its CRC and the document's budget. Normal parts read intact.
 */
import { randomBytes } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GuardedZip, MAX_ZIP_ENTRIES } from '../../src/documents/guarded-zip.js';
import { buildRawZip, buildZip, type RawZipEntry } from './support/build-zip.js';
import { expectDocumentError } from './support/expect-document-error.js';

const MB = 1024 * 1024;
const LIMITS = { maxInflatedBytes: 8 * MB, maxCompressionRatio: 100 };
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

function deflated(name: string, content: Uint8Array, overrides: Partial<RawZipEntry> = {}): RawZipEntry {
  return { name, data: deflateRawSync(content), crc: crc32(content), size: content.byteLength, ...overrides };
}

/** Random bytes deflate about 1:1, so only their size matters. */
const noise = (bytes: number) => new Uint8Array(randomBytes(bytes));

const open = (bytes: Uint8Array, limits = LIMITS) =>
  Promise.resolve().then(() => GuardedZip.open(bytes, 'doc.docx', limits));

describe('reading a normal archive', () => {
  it('lists and reads deflated and stored parts, skipping directories', () => {
    const stored = Buffer.from('stored as is');
    const zip = GuardedZip.open(
      buildRawZip([
        deflated('word/document.xml', Buffer.from('<w:document/>')),
        { name: 'word/', data: new Uint8Array(), crc: 0, size: 0, method: 0 },
        { name: 'notes.txt', data: stored, crc: crc32(stored), size: stored.length, method: 0 },
      ]),
      'doc.docx',
      LIMITS,
    );
    expect(zip.names()).toEqual(['word/document.xml', 'notes.txt']);
    expect(zip.exists('word/')).toBe(false);
    expect(text(zip.read('word/document.xml'))).toBe('<w:document/>');
    expect(text(zip.read('notes.txt'))).toBe('stored as is');
  });

  it('reads sizes from the ZIP64 extra field', () => {
    const zip = GuardedZip.open(
      buildRawZip([deflated('big.xml', Buffer.from('<big/>'), { zip64: true })]),
      'doc.docx',
      LIMITS,
    );
    expect(text(zip.read('big.xml'))).toBe('<big/>');
  });

  it('does not judge the ratio of parts under 1 MB inflated', () => {
    const zip = GuardedZip.open(buildZip({ 'spaces.xml': ' '.repeat(900 * 1024) }), 'doc.docx', LIMITS);
    expect(zip.read('spaces.xml').byteLength).toBe(900 * 1024);
  });
});

describe('refused from the directory, before inflating', () => {
  it('refuses parts that declare more than the inflated limit in total, as too_large', async () => {
    const bytes = buildRawZip([deflated('a.bin', noise(5 * MB)), deflated('b.bin', noise(4 * MB))]);
    const error = await expectDocumentError(open(bytes), 'too_large');
    expect(error.message).toContain("'doc.docx' would inflate to 9 MB, over the 8 MB limit");
    expect(error.message).toContain('FLEET_DOCUMENT_MAX_INFLATED_BYTES');
  });

  it('refuses a part compressed past the ratio limit, naming the part and the ratio', async () => {
    const bytes = buildZip({ 'word/document.xml': 'a'.repeat(4 * MB) });
    const error = await expectDocumentError(open(bytes), 'unsafe_archive');
    expect(error.message).toMatch(/'word\/document\.xml' would inflate from .* to 4 MB \(\d+:1\)/);
    expect(error.message).toContain('100:1 limit (FLEET_DOCUMENT_MAX_COMPRESSION_RATIO)');
    // The same archive passes under a looser limit.
    expect(() =>
      GuardedZip.open(bytes, 'doc.docx', { ...LIMITS, maxCompressionRatio: 10_000 }),
    ).not.toThrow();
  });

  it('refuses a directory of more entries than a document has', async () => {
    const empty = { data: new Uint8Array(), crc: 0, size: 0, method: 0 };
    const entries = Array.from({ length: MAX_ZIP_ENTRIES + 1 }, (_, index) => ({
      name: `p${index}`,
      ...empty,
    }));
    const error = await expectDocumentError(open(buildRawZip(entries)), 'unsafe_archive');
    expect(error.message).toContain(`${MAX_ZIP_ENTRIES + 1} parts`);
  });

  it('refuses encrypted parts and unknown compression methods as unreadable', async () => {
    const content = Buffer.from('secret');
    const encrypted = await expectDocumentError(
      open(buildRawZip([deflated('word/document.xml', content, { flags: 1 })])),
      'extraction_failed',
    );
    expect(encrypted.message).toContain('encrypted');
    const bzip2 = await expectDocumentError(
      open(buildRawZip([deflated('word/document.xml', content, { method: 12 })])),
      'extraction_failed',
    );
    expect(bzip2.message).toContain('compression method 12');
  });

  it('refuses a file with no end-of-directory record as a corrupted zip', async () => {
    const truncated = buildZip({ 'word/document.xml': '<w:document/>' }).slice(0, 40);
    const error = await expectDocumentError(open(truncated), 'extraction_failed');
    expect(error.message).toContain('Corrupted zip');
  });
});

describe('held while inflating', () => {
  it('stops a part that inflates past its declared size (a lying directory)', () => {
    const bomb = Buffer.alloc(50 * MB, 'a');
    const zip = GuardedZip.open(
      buildRawZip([deflated('word/document.xml', bomb, { size: 1000 })]),
      'doc.docx',
      LIMITS,
    );
    let caught: unknown;
    try {
      zip.read('word/document.xml');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ kind: 'unsafe_archive' });
    expect((caught as Error).message).toContain(
      'inflates to more than the 1000 bytes its zip directory declares',
    );
  });

  it('refuses a part shorter than declared, or failing its checksum, as damaged', () => {
    const content = Buffer.from('short content');
    const zip = GuardedZip.open(
      buildRawZip([
        deflated('short.xml', content, { size: content.length + 5 }),
        deflated('bad-crc.xml', content, { crc: 42 }),
      ]),
      'doc.docx',
      LIMITS,
    );
    expect(() => zip.read('short.xml')).toThrow(/holds 13 bytes, not the 18 bytes/);
    expect(() => zip.read('bad-crc.xml')).toThrow(/fails its checksum/);
  });

  it('charges every read to the budget, so re-reading a part cannot multiply it', () => {
    const zip = GuardedZip.open(buildZip({ 'part.bin': noise(3 * MB) }), 'doc.docx', LIMITS);
    zip.read('part.bin');
    zip.read('part.bin');
    expect(() => zip.read('part.bin')).toThrow(/would inflate to 9 MB, over the 8 MB limit/);
  });
});

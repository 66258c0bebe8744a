/**
 * A zip archive (the container of a DOCX) opened under the document limits, so a zip bomb is
 * refused instead of unpacked. Two lines of defence: the central directory is judged before
 * anything is inflated (entry count, the sum of the declared sizes, each entry's compression
 * ratio), and since declared sizes can lie, every entry is inflated with its declared size as a
 * hard ceiling (`maxOutputLength`), against a budget for the whole document that repeated reads
 * spend too. mammoth reads the parts through `read`, never through a zip library of its own.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { DocumentError } from './document-error.js';
import { formatBytes } from './format-bytes.js';

export interface ZipLimits {
  maxInflatedBytes: number;
  maxCompressionRatio: number;
}

/** Far more parts than any Word document has; a directory of millions is itself an attack. */
export const MAX_ZIP_ENTRIES = 10_000;
// A small entry cannot hurt whatever its ratio (a 2 KB run of spaces compresses 200:1), and
// Word's own small XML parts often compress well; only entries past this size are judged.
const RATIO_FLOOR_BYTES = 1024 * 1024;

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_END_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const MAX_END_RECORD_DISTANCE = 22 + 0xffff;
const STORED = 0;
const DEFLATED = 8;

interface Entry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export class GuardedZip {
  private inflatedBytes = 0;

  private constructor(
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
    private readonly entries: ReadonlyMap<string, Entry>,
    private readonly documentName: string,
    private readonly limits: ZipLimits,
  ) {}

  /** Reads and judges the central directory; throws a `DocumentError` for a bomb or a damaged zip. */
  static open(bytes: Uint8Array, documentName: string, limits: ZipLimits): GuardedZip {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const entries = readDirectory(bytes, view, documentName);
    judgeDirectory([...entries.values()], documentName, limits);
    return new GuardedZip(bytes, view, entries, documentName, limits);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  exists(name: string): boolean {
    return this.entries.has(name);
  }

  /** The inflated bytes of one entry, checked against its declared size, its CRC and the budget. */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) throw damaged(this.documentName, `it has no part named '${name}'`);
    if (this.inflatedBytes + entry.size > this.limits.maxInflatedBytes) {
      throw tooLarge(this.documentName, this.inflatedBytes + entry.size, this.limits.maxInflatedBytes);
    }
    const data = this.compressedData(entry);
    const inflated = entry.method === STORED ? data : this.inflate(entry, data);
    if (inflated.byteLength !== entry.size) {
      throw damaged(
        this.documentName,
        `'${entry.name}' holds ${formatBytes(inflated.byteLength)}, not the ${formatBytes(entry.size)} its zip directory declares`,
      );
    }
    if (crc32(inflated) !== entry.crc) throw damaged(this.documentName, `'${entry.name}' fails its checksum`);
    this.inflatedBytes += inflated.byteLength;
    return inflated;
  }

  private compressedData(entry: Entry): Uint8Array {
    const at = entry.localHeaderOffset;
    if (at + 30 > this.view.byteLength || this.view.getUint32(at, true) !== LOCAL_HEADER) {
      throw damaged(this.documentName, `the local header of '${entry.name}' is missing`);
    }
    const start = at + 30 + this.view.getUint16(at + 26, true) + this.view.getUint16(at + 28, true);
    if (start + entry.compressedSize > this.bytes.byteLength) {
      throw damaged(this.documentName, `'${entry.name}' runs past the end of the file`);
    }
    return this.bytes.subarray(start, start + entry.compressedSize);
  }

  private inflate(entry: Entry, data: Uint8Array): Uint8Array {
    try {
      // The declared size is a hard ceiling: a lying entry stops here, not at the heap limit.
      return inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new DocumentError(
          'unsafe_archive',
          `'${this.documentName}' is a crafted zip: its part '${entry.name}' inflates to more than the ` +
            `${formatBytes(entry.size)} its zip directory declares. It was refused unread; if it is a ` +
            'genuine document, open and save it again.',
        );
      }
      throw damaged(this.documentName, `'${entry.name}' cannot be inflated (${(error as Error).message})`);
    }
  }
}

function readDirectory(bytes: Uint8Array, view: DataView, documentName: string): Map<string, Entry> {
  const end = findEndRecord(view);
  if (end === undefined) throw damaged(documentName, 'its end-of-directory record is missing');
  let count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  if (count === 0xffff || offset === 0xffffffff) ({ count, offset } = readZip64End(view, end, documentName));
  if (count > MAX_ZIP_ENTRIES) {
    throw new DocumentError(
      'unsafe_archive',
      `'${documentName}' is a zip of ${count} parts, more than the ${MAX_ZIP_ENTRIES} a document may have; ` +
        'it was refused unread.',
    );
  }
  const entries = new Map<string, Entry>();
  for (let index = 0; index < count; index++) {
    if (offset + 46 > view.byteLength || view.getUint32(offset, true) !== DIRECTORY_ENTRY) {
      throw damaged(documentName, `its directory ends after ${index} of ${count} entries`);
    }
    const flags = view.getUint16(offset + 8, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const nameBytes = bytes.subarray(offset + 46, offset + 46 + nameLength);
    const extra = new DataView(
      bytes.buffer,
      bytes.byteOffset + offset + 46 + nameLength,
      Math.max(0, Math.min(extraLength, view.byteLength - offset - 46 - nameLength)),
    );
    // Bit 11: the name is UTF-8; otherwise it is read byte for byte, as JSZip does.
    const name = new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(nameBytes);
    const entry = zip64Sizes(
      {
        name,
        method: view.getUint16(offset + 10, true),
        crc: view.getUint32(offset + 16, true),
        compressedSize: view.getUint32(offset + 20, true),
        size: view.getUint32(offset + 24, true),
        localHeaderOffset: view.getUint32(offset + 42, true),
      },
      extra,
    );
    if (flags & 0x1) throw unreadable(documentName, `'${name}' is encrypted; remove the password first`);
    if (entry.method !== STORED && entry.method !== DEFLATED) {
      throw unreadable(
        documentName,
        `'${name}' uses zip compression method ${entry.method}, which cannot be read`,
      );
    }
    if (entry.method === STORED && entry.compressedSize !== entry.size) {
      throw damaged(documentName, `the stored part '${name}' declares two different sizes`);
    }
    // Directories hold nothing; as in JSZip, only files can be read. A repeated name: the last wins.
    if (!name.endsWith('/')) entries.set(name, entry);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function judgeDirectory(entries: readonly Entry[], documentName: string, limits: ZipLimits): void {
  const declared = entries.reduce((sum, entry) => sum + entry.size, 0);
  if (declared > limits.maxInflatedBytes) throw tooLarge(documentName, declared, limits.maxInflatedBytes);
  for (const entry of entries) {
    const ratio = entry.size / Math.max(1, entry.compressedSize);
    if (entry.size > RATIO_FLOOR_BYTES && ratio > limits.maxCompressionRatio) {
      throw new DocumentError(
        'unsafe_archive',
        `'${documentName}' looks like a zip bomb: its part '${entry.name}' would inflate from ` +
          `${formatBytes(entry.compressedSize)} to ${formatBytes(entry.size)} (${Math.round(ratio)}:1), past the ` +
          `${limits.maxCompressionRatio}:1 limit (FLEET_DOCUMENT_MAX_COMPRESSION_RATIO). It was refused unread; if ` +
          'it is a genuine document, raise the limit.',
      );
    }
  }
}

/** Sizes and offset that do not fit 32 bits are in the ZIP64 extra field, in this order. */
function zip64Sizes(entry: Entry, extra: DataView): Entry {
  const wanted = (['size', 'compressedSize', 'localHeaderOffset'] as const).filter(
    (field) => entry[field] === 0xffffffff,
  );
  if (wanted.length === 0) return entry;
  for (let at = 0; at + 4 <= extra.byteLength; at += 4 + extra.getUint16(at + 2, true)) {
    if (extra.getUint16(at, true) !== ZIP64_EXTRA) continue;
    const result = { ...entry };
    wanted.forEach((field, index) => {
      const position = at + 4 + index * 8;
      if (position + 8 <= extra.byteLength) result[field] = Number(extra.getBigUint64(position, true));
    });
    return result;
  }
  return entry;
}

function readZip64End(view: DataView, end: number, documentName: string): { count: number; offset: number } {
  const locator = end - 20;
  if (locator < 0 || view.getUint32(locator, true) !== ZIP64_END_LOCATOR) {
    throw damaged(documentName, 'its ZIP64 end-of-directory locator is missing');
  }
  const record = Number(view.getBigUint64(locator + 8, true));
  if (record + 56 > view.byteLength || view.getUint32(record, true) !== ZIP64_END_OF_DIRECTORY) {
    throw damaged(documentName, 'its ZIP64 end-of-directory record is missing');
  }
  return {
    count: Number(view.getBigUint64(record + 32, true)),
    offset: Number(view.getBigUint64(record + 48, true)),
  };
}

function findEndRecord(view: DataView): number | undefined {
  const lowest = Math.max(0, view.byteLength - MAX_END_RECORD_DISTANCE);
  for (let offset = view.byteLength - 22; offset >= lowest; offset--) {
    if (view.getUint32(offset, true) === END_OF_DIRECTORY) return offset;
  }
  return undefined;
}

function tooLarge(documentName: string, bytes: number, limit: number): DocumentError {
  return new DocumentError(
    'too_large',
    `'${documentName}' would inflate to ${formatBytes(bytes)}, over the ${formatBytes(limit)} limit for an ` +
      'unpacked document (FLEET_DOCUMENT_MAX_INFLATED_BYTES); it was refused unread. Split the document, ' +
      'or raise the limit if the server has the memory.',
  );
}

function damaged(documentName: string, why: string): DocumentError {
  return new DocumentError(
    'extraction_failed',
    `Could not read the Word document '${documentName}': Corrupted zip: ${why}. The file may be damaged ` +
      'or truncated; open and save it as .docx again, or paste its text instead.',
  );
}

function unreadable(documentName: string, why: string): DocumentError {
  return new DocumentError(
    'extraction_failed',
    `Could not read the Word document '${documentName}': ${why}. Open and save it as .docx again, or ` +
      'paste its text instead.',
  );
}

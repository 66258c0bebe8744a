/**
 * Assembles zip archives (deflated with node:zlib, CRC from zlib.crc32), so DOCX tests run
 * mammoth on a real file without a committed binary fixture. Only the parts of the format a
 * reader needs: local headers, a central directory and its end record. `buildRawZip` lets a test
 * write what an attacker would: sizes that lie, odd methods and flags, ZIP64 size fields.
 */
import { crc32, deflateRawSync } from 'node:zlib';

// Zip times are MS-DOS dates; day 0 is invalid, so every entry is dated 1980-01-01 00:00.
const DOS_DATE_1980_01_01 = 0x21;
const UTF8_NAMES = 0x0800;

export interface RawZipEntry {
  name: string;
  /** The entry's bytes as stored (already deflated for method 8). */
  data: Uint8Array;
  crc: number;
  /** The inflated size the headers declare. */
  size: number;
  /** 0 stored, 8 deflated (the default). */
  method?: number;
  /** General-purpose flags besides UTF-8 names (bit 0: encrypted). */
  flags?: number;
  /** Write the sizes as 0xFFFFFFFF with the real values in a ZIP64 extra field. */
  zip64?: boolean;
}

export function buildZip(entries: Record<string, string | Uint8Array>): Uint8Array {
  return buildRawZip(
    Object.entries(entries).map(([name, content]) => {
      const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      return { name, data: deflateRawSync(data), crc: crc32(data), size: data.byteLength };
    }),
  );
}

export function buildRawZip(entries: readonly RawZipEntry[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const flags = UTF8_NAMES | (entry.flags ?? 0);
    const method = entry.method ?? 8;
    const [compressedField, sizeField] = entry.zip64
      ? [0xffffffff, 0xffffffff]
      : [entry.data.byteLength, entry.size];
    const extra = Buffer.alloc(entry.zip64 ? 20 : 0);
    if (entry.zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(entry.size), 4);
      extra.writeBigUInt64LE(BigInt(entry.data.byteLength), 12);
    }

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_DATE_1980_01_01, 12);
    local.writeUInt32LE(entry.crc, 14);
    local.writeUInt32LE(compressedField, 18);
    local.writeUInt32LE(sizeField, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    locals.push(local, name, extra, entry.data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6); // version needed
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_DATE_1980_01_01, 14);
    central.writeUInt32LE(entry.crc, 16);
    central.writeUInt32LE(compressedField, 20);
    central.writeUInt32LE(sizeField, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name, extra);

    offset += local.length + name.length + extra.length + entry.data.byteLength;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

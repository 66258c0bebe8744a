/**
 * What kind of document some bytes are, trusting the bytes over the label: magic numbers first
 * (a PDF named `.txt` is still a PDF), then the declared MIME type, then the file extension, and
 * for bytes with no usable label a text sniff. The readable kinds are PDF, DOCX, HTML and text;
 * everything else is reported as unsupported with the type we found, so the message can say so.
 */
import { looksLikeText } from './decode-text.js';
import { zipEntryNames } from './zip-entry-names.js';

export type ReadableKind = 'pdf' | 'docx' | 'html' | 'text';

export type DetectedType =
  | { kind: ReadableKind; mimeType: string }
  | { kind: 'unsupported'; mimeType: string };

export interface TypeHints {
  name?: string;
  mimeType?: string;
}

export const PDF_MIME = 'application/pdf';
export const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

export function detectType(bytes: Uint8Array, hints: TypeHints): DetectedType {
  const declared = normalizeMime(hints.mimeType);
  const byExtension = typeFromExtension(hints.name);
  const fromBytes = typeFromMagic(bytes, declared === DOCX_MIME || byExtension?.kind === 'docx');
  if (fromBytes) return fromBytes;
  const fromDeclared = declared ? typeFromMime(declared) : undefined;
  if (fromDeclared) return fromDeclared;
  if (byExtension) return byExtension;
  if (declared && !GENERIC_MIMES.has(declared)) return { kind: 'unsupported', mimeType: declared };
  if (looksLikeText(bytes))
    return looksLikeHtml(bytes) ? { kind: 'html', mimeType: 'text/html' } : TEXT_PLAIN;
  return { kind: 'unsupported', mimeType: declared ?? 'application/octet-stream' };
}

const TEXT_PLAIN: DetectedType = { kind: 'text', mimeType: 'text/plain' };

/** Labels that say nothing about the content; the extension and the bytes decide instead. */
const GENERIC_MIMES = new Set(['application/octet-stream', 'binary/octet-stream', 'application/unknown']);

interface Signature {
  mimeType: string;
  offset?: number;
  bytes: readonly number[];
}

const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0));

// Binary formats we recognise only to refuse them by name.
const SIGNATURES: readonly Signature[] = [
  { mimeType: 'image/png', bytes: [0x89, ...ascii('PNG\r\n\x1a\n')] },
  { mimeType: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { mimeType: 'image/gif', bytes: ascii('GIF87a') },
  { mimeType: 'image/gif', bytes: ascii('GIF89a') },
  { mimeType: 'image/webp', offset: 8, bytes: ascii('WEBP') },
  { mimeType: 'image/tiff', bytes: ascii('II*\0') },
  { mimeType: 'image/tiff', bytes: ascii('MM\0*') },
  { mimeType: 'video/mp4', offset: 4, bytes: ascii('ftyp') },
  { mimeType: 'audio/ogg', bytes: ascii('OggS') },
  { mimeType: 'audio/flac', bytes: ascii('fLaC') },
  { mimeType: 'application/gzip', bytes: [0x1f, 0x8b] },
  { mimeType: 'application/x-7z-compressed', bytes: [...ascii('7z'), 0xbc, 0xaf, 0x27, 0x1c] },
  { mimeType: 'application/vnd.rar', bytes: ascii('Rar!\x1a\x07') },
  { mimeType: 'application/x-xz', bytes: [0xfd, ...ascii('7zXZ\0')] },
  { mimeType: 'application/zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  // OLE compound file: legacy .doc, .xls, .ppt.
  { mimeType: 'application/x-ole-storage', bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1] },
  { mimeType: 'application/x-executable', bytes: [0x7f, ...ascii('ELF')] },
  { mimeType: 'application/wasm', bytes: ascii('\0asm') },
  { mimeType: 'application/rtf', bytes: ascii('{\\rtf') },
];

function typeFromMagic(bytes: Uint8Array, labelledDocx: boolean): DetectedType | undefined {
  // PDF readers accept the header anywhere in the first 1024 bytes (PDF 1.7, Annex H).
  if (indexOfAscii(bytes.subarray(0, 1024), '%PDF-') >= 0) return { kind: 'pdf', mimeType: PDF_MIME };
  if (startsWith(bytes, ascii('PK\x03\x04')) || startsWith(bytes, ascii('PK\x05\x06'))) {
    return zipType(zipEntryNames(bytes), labelledDocx);
  }
  const signature = SIGNATURES.find((candidate) => startsWith(bytes, candidate.bytes, candidate.offset));
  return signature && { kind: 'unsupported', mimeType: signature.mimeType };
}

function zipType(names: readonly string[], labelledDocx: boolean): DetectedType {
  if (names.includes('word/document.xml')) return { kind: 'docx', mimeType: DOCX_MIME };
  if (names.includes('xl/workbook.xml')) {
    return {
      kind: 'unsupported',
      mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    };
  }
  if (names.includes('ppt/presentation.xml')) {
    return {
      kind: 'unsupported',
      mimeType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    };
  }
  // A zip labelled DOCX that we cannot read goes to mammoth anyway, which says what is wrong.
  return labelledDocx
    ? { kind: 'docx', mimeType: DOCX_MIME }
    : { kind: 'unsupported', mimeType: 'application/zip' };
}

function typeFromMime(mimeType: string): DetectedType | undefined {
  if (mimeType === PDF_MIME) return { kind: 'pdf', mimeType };
  if (mimeType === DOCX_MIME) return { kind: 'docx', mimeType };
  if (mimeType === 'text/html' || mimeType === 'application/xhtml+xml') return { kind: 'html', mimeType };
  if (mimeType.startsWith('text/') || TEXT_MIMES.has(mimeType) || /\+(json|xml)$/.test(mimeType)) {
    return { kind: 'text', mimeType };
  }
  return undefined;
}

const TEXT_MIMES = new Set([
  'application/json',
  'application/x-ndjson',
  'application/jsonl',
  'application/xml',
  'application/javascript',
  'application/x-javascript',
  'application/typescript',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/sql',
  'application/csv',
  'application/x-sh',
  'application/x-python',
  'application/x-tex',
  'application/x-ipynb+json',
]);

const EXTENSION_MIMES: Record<string, string> = {
  pdf: PDF_MIME,
  docx: DOCX_MIME,
  html: 'text/html',
  htm: 'text/html',
  xhtml: 'application/xhtml+xml',
  txt: 'text/plain',
  text: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  rst: 'text/x-rst',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  jsonl: 'application/x-ndjson',
  ndjson: 'application/x-ndjson',
  ipynb: 'application/x-ipynb+json',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  toml: 'application/toml',
  ini: 'text/plain',
  cfg: 'text/plain',
  conf: 'text/plain',
  env: 'text/plain',
  tex: 'application/x-tex',
  sql: 'application/sql',
  css: 'text/css',
  js: 'text/javascript',
  mjs: 'text/javascript',
  cjs: 'text/javascript',
  jsx: 'text/javascript',
  ts: 'text/x-typescript',
  tsx: 'text/x-typescript',
  py: 'text/x-python',
  rb: 'text/x-ruby',
  go: 'text/x-go',
  rs: 'text/x-rust',
  java: 'text/x-java',
  kt: 'text/x-kotlin',
  scala: 'text/x-scala',
  c: 'text/x-c',
  h: 'text/x-c',
  cc: 'text/x-c++',
  cpp: 'text/x-c++',
  hpp: 'text/x-c++',
  cs: 'text/x-csharp',
  swift: 'text/x-swift',
  php: 'text/x-php',
  sh: 'application/x-sh',
  bash: 'application/x-sh',
  r: 'text/x-r',
  lua: 'text/x-lua',
  pl: 'text/x-perl',
  svg: 'image/svg+xml',
};

/** The readable type a file name implies by its extension, if any. */
export function typeFromExtension(name: string | undefined): DetectedType | undefined {
  const extension = /\.([A-Za-z0-9]+)$/.exec(name ?? '')?.[1]?.toLowerCase();
  const mimeType = extension === undefined ? undefined : EXTENSION_MIMES[extension];
  return mimeType === undefined ? undefined : typeFromMime(mimeType);
}

function normalizeMime(mimeType: string | undefined): string | undefined {
  const bare = mimeType?.split(';')[0]?.trim().toLowerCase();
  return bare || undefined;
}

function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 512)).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  return prefix.every((byte, index) => bytes[offset + index] === byte);
}

function indexOfAscii(bytes: Uint8Array, text: string): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(text, 0, 'latin1');
}

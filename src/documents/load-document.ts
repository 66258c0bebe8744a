/**
 * The four document sources of a chat session, each ending in a `LoadedDocument`: uploaded bytes,
 * pasted text, a URL (fetched under the SSRF rules of `fetch-url.ts`), and a file inside the
 * session's workspace (never an arbitrary path on the server). The HTTP route and the agent's
 * `load_document` tool both call these; neither reads files or URLs any other way. Every source's
 * bytes are parsed in a worker under the parse limits (`parse-document.ts`), never in this thread.
 */
import { basename } from 'node:path';
import type { DocumentsConfig } from '../config/config.js';
import { typeFromExtension } from './detect-type.js';
import { DocumentError } from './document-error.js';
import { fetchUrl, type NetworkSeams } from './fetch-url.js';
import { formatBytes } from './format-bytes.js';
import type { LoadedDocument } from './loaded-document.js';
import { type ParseLimits, parseDocument } from './parse-document.js';
import { readWorkspaceFile } from './read-workspace-file.js';

export interface BytesSource {
  name: string;
  /** The type the uploader declared; the bytes are trusted over it. */
  mimeType?: string;
  /** `ServerConfig.maxUploadBytes` for uploads. */
  maxBytes: number;
  limits: ParseLimits;
}

/** Takes ownership of `bytes` (see `parseDocument`). */
export async function loadFromBytes(bytes: Uint8Array, source: BytesSource): Promise<LoadedDocument> {
  if (bytes.byteLength > source.maxBytes) {
    throw new DocumentError(
      'too_large',
      `'${source.name}' is ${formatBytes(bytes.byteLength)}, over the ${formatBytes(source.maxBytes)} upload ` +
        'limit (FLEET_UPLOAD_MAX_BYTES); upload a smaller file or split it.',
    );
  }
  const sizeBytes = bytes.byteLength;
  const { text, mimeType } = await parseDocument(
    bytes,
    { name: source.name, mimeType: source.mimeType },
    source.limits,
  );
  return { name: source.name, mimeType, sizeBytes, text, source: 'upload' };
}

/** Pasted text, kept as given (a leading BOM aside); its name's extension picks the type. */
export function loadFromText(name: string, text: string): LoadedDocument {
  const content = text.replace(/^\uFEFF/, '');
  if (content.trim() === '') {
    throw new DocumentError('empty', `The text for '${name}' is empty; paste the document's content.`);
  }
  const byName = typeFromExtension(name);
  const mimeType = byName?.kind === 'text' ? byName.mimeType : 'text/plain';
  return { name, mimeType, sizeBytes: Buffer.byteLength(content, 'utf8'), text: content, source: 'text' };
}

export async function loadFromUrl(
  url: string,
  limits: DocumentsConfig,
  signal?: AbortSignal,
  seams?: NetworkSeams,
): Promise<LoadedDocument> {
  const fetched = await fetchUrl(url, limits, signal, seams);
  const name = nameFromUrl(fetched.finalUrl);
  const sizeBytes = fetched.bytes.byteLength;
  const { text, mimeType } = await parseDocument(
    fetched.bytes,
    { name, mimeType: fetched.mimeType },
    limits,
    signal,
  );
  return { name, mimeType, sizeBytes, text, source: fetched.finalUrl };
}

export async function loadFromWorkspace(
  workspaceRoot: string,
  relativePath: string,
  options: { maxBytes: number; limits: ParseLimits; signal?: AbortSignal },
): Promise<LoadedDocument> {
  const file = await readWorkspaceFile(workspaceRoot, relativePath, options.maxBytes);
  const name = basename(file.relativePath);
  const sizeBytes = file.bytes.byteLength;
  const { text, mimeType } = await parseDocument(file.bytes, { name }, options.limits, options.signal);
  return { name, mimeType, sizeBytes, text, source: `workspace:${file.relativePath}` };
}

/** The last path segment (`report.pdf`), else the host: a name a person recognises. */
function nameFromUrl(url: string): string {
  const parsed = new URL(url);
  const segment = parsed.pathname.split('/').filter(Boolean).pop();
  if (!segment) return parsed.hostname;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

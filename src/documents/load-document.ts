/**
 * The four document sources of a chat session, each ending in a `LoadedDocument`: uploaded bytes,
 * pasted text, a URL (fetched under the SSRF rules of `fetch-url.ts`), and a file inside the
 * session's workspace (never an arbitrary path on the server). The HTTP route and the agent's
 * `load_document` tool both call these; neither reads files or URLs any other way.
 */
import { basename } from 'node:path';
import type { DocumentsConfig } from '../config/config.js';
import { typeFromExtension } from './detect-type.js';
import { DocumentError } from './document-error.js';
import { extractText } from './extract-text.js';
import { fetchUrl, type NetworkSeams } from './fetch-url.js';
import { formatBytes } from './format-bytes.js';
import type { LoadedDocument } from './loaded-document.js';
import { readWorkspaceFile } from './read-workspace-file.js';

export interface BytesSource {
  name: string;
  /** The type the uploader declared; the bytes are trusted over it. */
  mimeType?: string;
  /** `ServerConfig.maxUploadBytes` for uploads. */
  maxBytes: number;
}

export async function loadFromBytes(bytes: Uint8Array, source: BytesSource): Promise<LoadedDocument> {
  if (bytes.byteLength > source.maxBytes) {
    throw new DocumentError(
      'too_large',
      `'${source.name}' is ${formatBytes(bytes.byteLength)}, over the ${formatBytes(source.maxBytes)} upload ` +
        'limit (FLEET_UPLOAD_MAX_BYTES); upload a smaller file or split it.',
    );
  }
  const { text, mimeType } = await extractText(bytes, { name: source.name, mimeType: source.mimeType });
  return { name: source.name, mimeType, sizeBytes: bytes.byteLength, text, source: 'upload' };
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
  const { text, mimeType } = await extractText(fetched.bytes, { name, mimeType: fetched.mimeType });
  return { name, mimeType, sizeBytes: fetched.bytes.byteLength, text, source: fetched.finalUrl };
}

export async function loadFromWorkspace(
  workspaceRoot: string,
  relativePath: string,
  options: { maxBytes: number },
): Promise<LoadedDocument> {
  const file = await readWorkspaceFile(workspaceRoot, relativePath, options.maxBytes);
  const name = basename(file.relativePath);
  const { text, mimeType } = await extractText(file.bytes, { name });
  return { name, mimeType, sizeBytes: file.bytes.byteLength, text, source: `workspace:${file.relativePath}` };
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

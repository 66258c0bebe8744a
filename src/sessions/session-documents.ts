/**
 * A session's documents: added from any source under a unique alias (the newest becomes the
 * active one), found by alias, id or name, and their text read once per turn. Reached through
 * an `OwnedSession`, so a document of another session is never found here.
 */
import { randomUUID } from 'node:crypto';
import type { DocumentsConfig } from '../config/config.js';
import { loadFromUrl, loadFromWorkspace } from '../documents/load-document.js';
import type { LoadedDocument } from '../documents/loaded-document.js';
import type { DocumentMeta, DocumentStore } from '../store/document-store.js';
import type { SessionRow, SessionStore } from '../store/session-store.js';
import { SessionError } from './session-error.js';

export class SessionDocuments {
  private readonly texts = new Map<string, string>();

  constructor(
    /** Documents, and the session row's active document. */
    private readonly store: DocumentStore & SessionStore,
    private readonly session: SessionRow,
  ) {}

  get sessionId(): string {
    return this.session.id;
  }

  get activeDocumentId(): string | null {
    return this.session.activeDocumentId;
  }

  /** One of this session's documents by id, or `document_not_found`. */
  async get(documentId: string): Promise<DocumentMeta> {
    const document = await this.store.getDocument(documentId);
    if (!document || document.sessionId !== this.sessionId)
      throw new SessionError('document_not_found', `no document ${documentId} in session ${this.sessionId}`);
    return document;
  }

  list(): Promise<DocumentMeta[]> {
    return this.store.listDocuments(this.sessionId);
  }

  /** By alias, id or name; the active document when `ref` is empty. */
  async resolve(ref?: string): Promise<DocumentMeta | undefined> {
    if (!ref?.trim())
      return this.activeDocumentId ? this.store.getDocument(this.activeDocumentId) : undefined;
    const wanted = ref.trim();
    const byAlias = await this.store.getDocumentByAlias(this.sessionId, wanted);
    if (byAlias) return byAlias;
    const byId = await this.store.getDocument(wanted);
    if (byId?.sessionId === this.sessionId) return byId;
    const all = await this.list();
    return all.find((document) => document.name === wanted);
  }

  async text(document: DocumentMeta): Promise<string> {
    let text = this.texts.get(document.id);
    if (text === undefined) {
      text = (await this.store.getDocumentText(document.id)) ?? '';
      this.texts.set(document.id, text);
    }
    return text;
  }

  /** Stores a loaded document under a unique alias and makes it the active one. */
  async add(loaded: LoadedDocument, alias?: string): Promise<DocumentMeta> {
    const taken = new Set((await this.list()).map((document) => document.alias));
    const meta = await this.store.addDocument({
      id: randomUUID(),
      sessionId: this.sessionId,
      alias: uniqueAlias(alias?.trim() || aliasFromName(loaded.name), taken),
      name: loaded.name,
      source: loaded.source,
      mimeType: loaded.mimeType,
      sizeBytes: loaded.sizeBytes,
      text: loaded.text,
      createdAt: Date.now(),
    });
    this.texts.set(meta.id, loaded.text);
    await this.activate(meta);
    return meta;
  }

  /**
   * `load_document`: an existing document (by alias, id or name) becomes active; an http(s) URL
   * is fetched; anything else is a path inside the session's workspace.
   */
  async load(
    source: string,
    alias: string | undefined,
    limits: DocumentsConfig & { maxUploadBytes: number; workspaceRoot: string },
    signal?: AbortSignal,
  ): Promise<{ document: DocumentMeta; added: boolean }> {
    const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
    const existing = isUrl ? undefined : await this.resolve(source);
    if (existing) {
      await this.activate(existing);
      return { document: existing, added: false };
    }
    const loaded = isUrl
      ? await loadFromUrl(source, limits, signal)
      : await loadFromWorkspace(limits.workspaceRoot, source, {
          maxBytes: limits.maxUploadBytes,
          limits,
          signal,
        });
    return { document: await this.add(loaded, alias), added: true };
  }

  async activate(document: DocumentMeta): Promise<void> {
    await this.store.updateSession(this.sessionId, { activeDocumentId: document.id });
    this.session.activeDocumentId = document.id;
  }

  async remove(document: DocumentMeta): Promise<void> {
    await this.store.deleteDocument(document.id);
    this.texts.delete(document.id);
    if (this.activeDocumentId === document.id) {
      const newest = (await this.list()).sort((a, b) => b.createdAt - a.createdAt)[0];
      await this.store.updateSession(this.sessionId, { activeDocumentId: newest?.id ?? null });
      this.session.activeDocumentId = newest?.id ?? null;
    }
  }
}

/** `Quarterly Report (final).pdf` -> `quarterly-report-final`. */
export function aliasFromName(name: string): string {
  const base = name.replace(/^.*[\\/]/, '').replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const slug = base
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 48);
  return slug || 'document';
}

function uniqueAlias(alias: string, taken: Set<string>): string {
  if (!taken.has(alias)) return alias;
  for (let n = 2; ; n++) if (!taken.has(`${alias}-${n}`)) return `${alias}-${n}`;
}

/**
 * A session's documents: metadata listed without the text, the extracted text read on demand.
 * Which document is active is a session field (`SessionStore.updateSession`).
 */
export interface DocumentMeta {
  id: string;
  sessionId: string;
  alias: string;
  name: string;
  /** Where it came from: `upload`, `text`, a URL, or `workspace:<path>`. */
  source: string;
  mimeType: string;
  sizeBytes: number;
  /** Characters of extracted text. */
  textChars: number;
  createdAt: number;
}

export interface DocumentStore {
  addDocument(
    fields: Omit<DocumentMeta, 'createdAt' | 'textChars'> & { text: string; createdAt: number },
  ): Promise<DocumentMeta>;
  /** Oldest first. */
  listDocuments(sessionId: string): Promise<DocumentMeta[]>;
  getDocument(id: string): Promise<DocumentMeta | undefined>;
  getDocumentByAlias(sessionId: string, alias: string): Promise<DocumentMeta | undefined>;
  getDocumentText(id: string): Promise<string | undefined>;
  deleteDocument(id: string): Promise<void>;
}

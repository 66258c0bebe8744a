/**
 * Session documents: metadata in `documents`, the extracted text in `document_texts`, so
 * listing and lookups never read megabytes of text. The text is stored as UTF-8 bytes (see
 * `schema.ts`); `textChars` counts UTF-16 code units, the unit JavaScript slices by.
 */

import type { DocumentMeta, DocumentStore } from './document-store.js';
import { toDocumentMeta } from './rows.js';
import type { StoreContext } from './store-context.js';

export async function addDocument(
  context: StoreContext,
  fields: Parameters<DocumentStore['addDocument']>[0],
): Promise<DocumentMeta> {
  const row = {
    id: fields.id,
    session_id: fields.sessionId,
    alias: fields.alias,
    name: fields.name,
    source: fields.source,
    mime_type: fields.mimeType,
    size_bytes: fields.sizeBytes,
    text_chars: fields.text.length,
    created_at: fields.createdAt,
  };
  await context.db.transaction().execute(async (trx) => {
    await trx.insertInto('documents').values(row).execute();
    await trx
      .insertInto('document_texts')
      .values({ document_id: fields.id, text: Buffer.from(fields.text, 'utf8') })
      .execute();
  });
  return toDocumentMeta(row);
}

/** Oldest first. */
export async function listDocuments(context: StoreContext, sessionId: string): Promise<DocumentMeta[]> {
  const rows = await context.db
    .selectFrom('documents')
    .selectAll()
    .where('session_id', '=', sessionId)
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
  return rows.map(toDocumentMeta);
}

export async function getDocument(context: StoreContext, id: string): Promise<DocumentMeta | undefined> {
  const row = await context.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toDocumentMeta(row);
}

/** Aliases are not unique: when several documents share one, the newest answers to it. */
export async function getDocumentByAlias(
  context: StoreContext,
  sessionId: string,
  alias: string,
): Promise<DocumentMeta | undefined> {
  const row = await context.db
    .selectFrom('documents')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('alias', '=', alias)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row && toDocumentMeta(row);
}

export async function getDocumentText(context: StoreContext, id: string): Promise<string | undefined> {
  const row = await context.db
    .selectFrom('document_texts')
    .select('text')
    .where('document_id', '=', id)
    .executeTakeFirst();
  return row && Buffer.from(row.text).toString('utf8');
}

/** The text goes with it (ON DELETE CASCADE); a session whose active document it was has none after. */
export async function deleteDocument(context: StoreContext, id: string): Promise<void> {
  await context.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('sessions')
      .set({ active_document_id: null })
      .where('active_document_id', '=', id)
      .execute();
    await trx.deleteFrom('documents').where('id', '=', id).execute();
  });
}

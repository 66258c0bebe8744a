import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { newIdentity } from './fixtures.js';
import { describeEachStore } from './store-targets.js';

function addText(store: Store, sessionId: string, alias: string, text: string, createdAt = 1) {
  return store.addDocument({
    id: randomUUID(),
    sessionId,
    alias,
    name: `${alias}.txt`,
    source: 'upload',
    mimeType: 'text/plain',
    sizeBytes: Buffer.byteLength(text),
    text,
    createdAt,
  });
}

describeEachStore('store documents', ({ handle }) => {
  it('round-trips a 5 MB text and keeps it out of the metadata', async () => {
    const { store } = handle();
    const session = await store.createSession(newIdentity());
    const line = 'Line of the annual report — 年次報告 📈 with a NUL \u0000 and a tab\t.\n';
    const text = line.repeat(Math.ceil((5 * 1024 * 1024) / Buffer.byteLength(line)));
    expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    const meta = await store.addDocument({
      id: 'doc-big',
      sessionId: session.id,
      alias: 'report',
      name: 'report.pdf',
      source: 'https://example.com/report.pdf',
      mimeType: 'application/pdf',
      sizeBytes: 7_340_032,
      text,
      createdAt: 1_700_000_000_000,
    });
    expect(meta).toEqual({
      id: 'doc-big',
      sessionId: session.id,
      alias: 'report',
      name: 'report.pdf',
      source: 'https://example.com/report.pdf',
      mimeType: 'application/pdf',
      sizeBytes: 7_340_032,
      textChars: text.length,
      createdAt: 1_700_000_000_000,
    });
    expect(await store.getDocument('doc-big')).toEqual(meta);
    expect(Object.keys((await store.listDocuments(session.id))[0]!)).not.toContain('text');
    const read = await store.getDocumentText('doc-big');
    expect(read?.length).toBe(text.length);
    expect(read === text).toBe(true);
  });

  it('lists a session’s documents oldest first and finds them by alias', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const session = await store.createSession(identity);
    const other = await store.createSession(identity);
    const notes = await addText(store, session.id, 'notes', 'first notes', 1);
    const data = await addText(store, session.id, 'data', 'a,b\n1,2', 2);
    const newerNotes = await addText(store, session.id, 'notes', 'second notes', 3);
    await addText(store, other.id, 'elsewhere', 'x', 1);
    expect(await store.listDocuments(session.id)).toEqual([notes, data, newerNotes]);
    expect(await store.getDocumentByAlias(session.id, 'data')).toEqual(data);
    // Several documents may share an alias: the newest answers to it.
    expect(await store.getDocumentByAlias(session.id, 'notes')).toEqual(newerNotes);
    expect(await store.getDocumentByAlias(session.id, 'elsewhere')).toBeUndefined();
    expect(await store.getDocumentByAlias(other.id, 'elsewhere')).toMatchObject({ alias: 'elsewhere' });
    expect(await store.getDocumentText(data.id)).toBe('a,b\n1,2');
    expect(await store.getDocument('missing')).toBeUndefined();
    expect(await store.getDocumentText('missing')).toBeUndefined();
    expect(
      await store.getDocumentText(await addText(store, session.id, 'empty', '', 4).then((d) => d.id)),
    ).toBe('');
  });

  it('deletes a document with its text and clears it as the active one', async () => {
    const { store, countRows } = handle();
    const session = await store.createSession(newIdentity());
    const kept = await addText(store, session.id, 'kept', 'kept text');
    const gone = await addText(store, session.id, 'gone', 'gone text');
    await store.updateSession(session.id, { activeDocumentId: gone.id });
    await store.deleteDocument(gone.id);
    expect(await store.getDocument(gone.id)).toBeUndefined();
    expect(await store.getDocumentText(gone.id)).toBeUndefined();
    expect(await countRows('document_texts', 'document_id', gone.id)).toBe(0);
    expect(await store.listDocuments(session.id)).toEqual([kept]);
    expect((await store.getSession(session.id))?.activeDocumentId).toBeNull();

    await store.updateSession(session.id, { activeDocumentId: kept.id });
    await store.deleteDocument('missing');
    expect((await store.getSession(session.id))?.activeDocumentId).toBe(kept.id);
  });
});

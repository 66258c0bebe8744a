import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { InvalidCursorError } from '../../src/store/session-cursor.js';
import type { SessionRow } from '../../src/store/store.js';
import { addTurn, events, newIdentity, newTraceId, span, step, trace } from './fixtures.js';
import { describeEachStore } from './store-targets.js';

describeEachStore('store sessions', ({ handle, dialect }) => {
  it('ensures an identity idempotently and answers ping', async () => {
    const { store, countRows } = handle();
    const identity = newIdentity();
    await store.ensureIdentity(identity);
    await store.ensureIdentity(identity);
    expect(await countRows('workspaces', 'id', identity.workspaceId)).toBe(1);
    expect(await countRows('users', 'id', identity.userId)).toBe(1);
    // A session for an identity nobody ensured creates it on the way.
    const other = newIdentity();
    await store.createSession(other);
    expect(await countRows('users', 'id', other.userId)).toBe(1);
    expect(await store.ping()).toBe(true);
  });

  it('creates and reads a session with its defaults', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const before = Date.now();
    const created = await store.createSession(identity, { title: 'Quarterly report' });
    expect(created).toMatchObject({
      ...identity,
      title: 'Quarterly report',
      status: 'active',
      archivedAt: null,
      activeDocumentId: null,
      coreMemory: { persona: '', human: '', scratchpad: '' },
      historySummary: '',
      summarizedThrough: 0,
    });
    expect(created.createdAt).toBeGreaterThanOrEqual(before);
    expect(created.updatedAt).toBe(created.createdAt);
    expect(await store.getSession(created.id)).toEqual(created);
    expect(await store.getSession('no-such-session')).toBeUndefined();
    expect((await store.createSession(identity)).title).toBe('');
  });

  it('updates only the fields of the patch, with JSON round-tripping', async () => {
    const { store } = handle();
    const session = await store.createSession(newIdentity(), { title: 'before' });
    const coreMemory = {
      persona: 'Ты — помощник 🤖',
      human: 'likes "quotes" and \\ slashes',
      scratchpad: '{"a":1}',
    };
    await store.updateSession(session.id, {
      coreMemory,
      historySummary: 'so far: 日本語',
      summarizedThrough: 4,
    });
    await store.updateSession(session.id, {});
    await store.updateSession(session.id, { activeDocumentId: 'doc-1' });
    const updated = await store.getSession(session.id);
    expect(updated).toEqual({
      ...session,
      coreMemory,
      historySummary: 'so far: 日本語',
      summarizedThrough: 4,
      activeDocumentId: 'doc-1',
    });
    await store.updateSession(session.id, { title: 'after', activeDocumentId: null });
    expect(await store.getSession(session.id)).toMatchObject({
      title: 'after',
      activeDocumentId: null,
      coreMemory,
    });
  });

  it('lists newest first across pages with a cursor', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const created: SessionRow[] = [];
    for (let index = 0; index < 7; index++) {
      const session = await store.createSession(identity, { title: `s${index}` });
      // Distinct and tied updatedAt values: turns set them (two pairs share a time).
      await addTurn(store, session.id, identity, { startedAt: 10_000_000_000_000 + Math.floor(index / 2) });
      created.push(session);
    }
    await store.createSession(newIdentity(), { title: 'someone else' });
    const seen: SessionRow[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await store.listSessions(identity, { limit: 3, cursor });
      seen.push(...result.items);
      if (result.nextCursor === null) break;
      expect(result.items).toHaveLength(3);
      cursor = result.nextCursor;
    }
    expect(seen.map((session) => session.id)).toHaveLength(7);
    expect(new Set(seen.map((session) => session.id))).toEqual(new Set(created.map((session) => session.id)));
    const keys = seen.map((session) => [session.updatedAt, session.id] as const);
    const sorted = [...keys].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1));
    expect(keys).toEqual(sorted);
    expect(seen[0]!.title).toBe('s6');
    const exact = await store.listSessions(identity, { limit: 7 });
    expect(exact.items).toHaveLength(7);
    expect(exact.nextCursor).toBeNull();
  });

  it('rejects a cursor it did not make', async () => {
    const { store } = handle();
    await expect(
      store.listSessions(newIdentity(), { limit: 2, cursor: 'not a cursor' }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('searches titles and user messages case-insensitively, literally', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const byTitle = await store.createSession(identity, { title: 'Budget REVIEW 2024' });
    const byMessage = await store.createSession(identity, { title: 'unrelated' });
    await addTurn(store, byMessage.id, identity, { userMessage: 'first question' });
    await addTurn(store, byMessage.id, identity, { userMessage: 'Please compare the Review notes' });
    const percent = await store.createSession(identity, { title: 'growth of 50% a_year' });
    await store.createSession(identity, { title: 'nothing here' });
    const ids = async (query: string) =>
      (await store.listSessions(identity, { limit: 10, query })).items.map((session) => session.id).sort();
    expect(await ids('review')).toEqual([byTitle.id, byMessage.id].sort());
    expect(await ids('BUDGET')).toEqual([byTitle.id]);
    expect(await ids('compare THE')).toEqual([byMessage.id]);
    expect(await ids('50%')).toEqual([percent.id]);
    expect(await ids('a_y')).toEqual([percent.id]);
    expect(await ids('0%')).toEqual([percent.id]);
    expect(await ids('a%y')).toEqual([]);
    expect(await ids('missing')).toEqual([]);
    // SQLite's own lower() folds ASCII only; the store replaces it. (Postgres folds by the
    // database's LC_CTYPE, which a C-locale test server would not, so only SQLite is checked.)
    if (dialect === 'sqlite') {
      const accented = await store.createSession(identity, { title: 'ÜBERBLICK über Été' });
      expect(await ids('überblick ÜBER été')).toEqual([accented.id]);
    }
  });

  it('excludes archived sessions unless asked, and archives once', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const kept = await store.createSession(identity, { title: 'kept' });
    const archived = await store.createSession(identity, { title: 'archived' });
    await store.archiveSession(archived.id, 5_000);
    await store.archiveSession(archived.id, 9_000);
    expect(await store.getSession(archived.id)).toMatchObject({ status: 'archived', archivedAt: 5_000 });
    const active = await store.listSessions(identity, { limit: 10 });
    expect(active.items.map((session) => session.id)).toEqual([kept.id]);
    const all = await store.listSessions(identity, { limit: 10, includeArchived: true });
    expect(all.items.map((session) => session.id).sort()).toEqual([kept.id, archived.id].sort());
    expect((await store.listSessions(identity, { limit: 10, query: 'archived' })).items).toEqual([]);
  });

  it('purges archived sessions older than the cutoff with everything they own', async () => {
    const { store, countRows } = handle();
    const identity = newIdentity();
    const owned = async (title: string) => {
      const session = await store.createSession(identity, { title });
      const turn = await addTurn(store, session.id, identity, { clientMessageId: 'm1' });
      const runId = randomUUID();
      await store.appendSteps([step(turn, runId), step(turn, runId)]);
      const document = await store.addDocument({
        id: randomUUID(),
        sessionId: session.id,
        alias: 'doc',
        name: 'doc.txt',
        source: 'text',
        mimeType: 'text/plain',
        sizeBytes: 4,
        text: 'text',
        createdAt: 1,
      });
      await store.appendEvents([
        ...events(session.id, 'chat', 1, 3, turn.id),
        ...events(session.id, 'passive', 1, 2),
      ]);
      await store.addFeedback({
        id: randomUUID(),
        turnId: turn.id,
        traceId: null,
        ...identity,
        isCorrect: true,
        comment: null,
        expectedResponse: null,
        createdAt: 1,
      });
      // Spans first, as the exporter writes them: they reach no session but through the trace.
      const traceId = newTraceId();
      await store.writeSpans(
        [span(traceId), span(traceId), span(traceId)],
        [trace(turn, traceId, { spanCount: 3 })],
      );
      return { session, turn, runId, documentId: document.id, traceId };
    };
    const old = await owned('old');
    const recent = await owned('recent');
    const active = await owned('active');
    await store.archiveSession(old.session.id, 1_000);
    await store.archiveSession(recent.session.id, 3_000);

    const counts = async (item: Awaited<ReturnType<typeof owned>>) => [
      await countRows('sessions', 'id', item.session.id),
      await countRows('turns', 'session_id', item.session.id),
      await countRows('execution_steps', 'session_id', item.session.id),
      await countRows('documents', 'session_id', item.session.id),
      await countRows('document_texts', 'document_id', item.documentId),
      await countRows('events', 'session_id', item.session.id),
      await countRows('feedback', 'turn_id', item.turn.id),
      await countRows('traces', 'session_id', item.session.id),
      await countRows('spans', 'trace_id', item.traceId),
    ];
    const full = [1, 1, 2, 1, 1, 5, 1, 1, 3];
    const none = full.map(() => 0);
    expect(await counts(old)).toEqual(full);

    expect(await store.purgeArchivedSessions(2_000)).toBe(1);
    expect(await counts(old)).toEqual(none);
    expect(await store.getSession(old.session.id)).toBeUndefined();
    expect(await counts(recent)).toEqual(full);
    expect(await counts(active)).toEqual(full);
    expect(await countRows('users', 'id', identity.userId)).toBe(1);

    expect(await store.purgeArchivedSessions(2_000)).toBe(0);
    expect(await store.purgeArchivedSessions(Number.MAX_SAFE_INTEGER)).toBe(1);
    expect(await counts(recent)).toEqual(none);
    expect(await counts(active)).toEqual(full);
  });
});

import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { DuplicateSessionError } from '../../src/store/store.js';
import { addTurn, newIdentity } from './fixtures.js';
import { describeEachStore } from './store-targets.js';

/**
 * What fleet-rlm (Python)'s clients page by: a session id the client chose, a status filter,
 * offsets, and totals of sessions and turns.
 */
describeEachStore('store offset pages and chosen ids', ({ handle }) => {
  it('creates a session under an id the caller chose; the same id again is a DuplicateSessionError', async () => {
    const { store } = handle();
    const owner = newIdentity();
    const id = randomUUID();
    const created = await store.createSession(owner, { id, title: 'chosen' });
    expect(created).toMatchObject({ id, ...owner, title: 'chosen', status: 'active' });
    expect(await store.getSession(id)).toEqual(created);

    const other = newIdentity();
    const refused = await store.createSession(other, { id }).catch((error: unknown) => error);
    expect(DuplicateSessionError.isInstance(refused)).toBe(true);
    // The first owner's row is untouched.
    expect(await store.getSession(id)).toEqual(created);
  });

  it('filters sessions by status and pages them by offset, with totals', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const ids: string[] = [];
    for (const title of ['one report', 'two notes', 'three report', 'four report']) {
      const session = await store.createSession(identity, { title });
      ids.push(session.id);
      // Distinct updated_at values, so newest-first is well defined.
      await addTurn(store, session.id, identity, { startedAt: Date.now() + ids.length * 1000 });
    }
    await store.archiveSession(ids[0]!, Date.now());
    await store.createSession(newIdentity(), { title: 'someone else report' });

    const archived = await store.listSessions(identity, { limit: 10, status: 'archived' });
    expect(archived.items.map((session) => session.id)).toEqual([ids[0]]);
    const active = await store.listSessions(identity, { limit: 10, status: 'active', includeArchived: true });
    expect(active.items.map((session) => session.id)).toEqual([ids[3], ids[2], ids[1]]);

    const all = await store.listSessions(identity, { limit: 10, includeArchived: true });
    expect(all.items.map((session) => session.id)).toEqual([ids[3], ids[2], ids[1], ids[0]]);
    const second = await store.listSessions(identity, { limit: 2, offset: 2, includeArchived: true });
    expect(second.items.map((session) => session.id)).toEqual([ids[1], ids[0]]);
    expect(second.nextCursor).toBeNull();
    const middle = await store.listSessions(identity, { limit: 1, offset: 1, includeArchived: true });
    expect(middle.items.map((session) => session.id)).toEqual([ids[2]]);
    expect(middle.nextCursor).not.toBeNull();

    expect(await store.countSessions(identity, {})).toBe(3);
    expect(await store.countSessions(identity, { includeArchived: true })).toBe(4);
    expect(await store.countSessions(identity, { status: 'archived' })).toBe(1);
    expect(await store.countSessions(identity, { query: 'REPORT', includeArchived: true })).toBe(3);
    expect(await store.countSessions(identity, { query: 'report' })).toBe(2);
    expect(await store.countSessions(newIdentity(), {})).toBe(0);
  });

  it('pages turns by offset and counts them', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const session = await store.createSession(identity);
    for (const message of ['a', 'b', 'c', 'd'])
      await addTurn(store, session.id, identity, { userMessage: message });
    const page = await store.listTurns(session.id, { limit: 2, offset: 1 });
    expect(page.map((turn) => turn.userMessage)).toEqual(['b', 'c']);
    expect((await store.listTurns(session.id, { offset: 3 })).map((turn) => turn.index)).toEqual([4]);
    expect(await store.countTurns(session.id)).toBe(4);
    expect(await store.countTurns(randomUUID())).toBe(0);
  });
});

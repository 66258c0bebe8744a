/**
 * Identities and sessions: create (under a random or a given id), read, list with search and
 * keyset or offset pages, count, update, archive, purge.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DuplicateSessionError } from './duplicate-session-error.js';
import { containsPattern, lowerLike } from './like-pattern.js';
import type { Page } from './page.js';
import { toSessionRow } from './rows.js';
import type { Database } from './schema.js';
import { decodeSessionCursor, encodeSessionCursor } from './session-cursor.js';
import type {
  CoreMemory,
  Identity,
  SessionFilter,
  SessionListOptions,
  SessionRow,
  SessionStore,
} from './session-store.js';
import type { StoreContext } from './store-context.js';
import { deleteSpansOfSessions } from './trace-queries.js';
import { isUniqueViolation, type UniqueIndex } from './unique-violation.js';

const EMPTY_CORE_MEMORY: CoreMemory = { persona: '', human: '', scratchpad: '' };

/** Postgres names a primary key `<table>_pkey`. */
const SESSION_ID_INDEX: UniqueIndex = { name: 'sessions_pkey', table: 'sessions', columns: ['id'] };

async function insertIdentity(db: Kysely<Database>, identity: Identity, now: number): Promise<void> {
  await db
    .insertInto('workspaces')
    .values({ id: identity.workspaceId, created_at: now })
    .onConflict((conflict) => conflict.doNothing())
    .execute();
  await db
    .insertInto('users')
    .values({ workspace_id: identity.workspaceId, id: identity.userId, created_at: now })
    .onConflict((conflict) => conflict.doNothing())
    .execute();
}

export async function ensureIdentity(context: StoreContext, identity: Identity): Promise<void> {
  await context.db.transaction().execute((trx) => insertIdentity(trx, identity, Date.now()));
}

export async function createSession(
  context: StoreContext,
  identity: Identity,
  fields: { title?: string; id?: string } = {},
): Promise<SessionRow> {
  const now = Date.now();
  const row = {
    id: fields.id ?? randomUUID(),
    workspace_id: identity.workspaceId,
    user_id: identity.userId,
    title: fields.title ?? '',
    status: 'active',
    created_at: now,
    updated_at: now,
    archived_at: null,
    active_document_id: null,
    core_memory: JSON.stringify(EMPTY_CORE_MEMORY),
    history_summary: '',
    summarized_through: 0,
  };
  try {
    await context.db.transaction().execute(async (trx) => {
      // Sessions reference their user, so the identity is made sure of first.
      await insertIdentity(trx, identity, now);
      await trx.insertInto('sessions').values(row).execute();
    });
  } catch (error) {
    // Only a chosen id can collide: the primary key decides who got it first.
    if (fields.id !== undefined && isUniqueViolation(error, SESSION_ID_INDEX))
      throw new DuplicateSessionError(fields.id);
    throw error;
  }
  return toSessionRow(row);
}

export async function getSession(context: StoreContext, id: string): Promise<SessionRow | undefined> {
  const row = await context.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toSessionRow(row);
}

/** The identity's sessions that `filter` keeps, as a query both the list and the count build on. */
function filteredSessions(context: StoreContext, identity: Identity, filter: SessionFilter) {
  let query = context.db
    .selectFrom('sessions')
    .where('sessions.workspace_id', '=', identity.workspaceId)
    .where('sessions.user_id', '=', identity.userId);
  if (filter.status) query = query.where('sessions.status', '=', filter.status);
  else if (!filter.includeArchived) query = query.where('sessions.status', '=', 'active');
  if (filter.query) {
    const pattern = containsPattern(filter.query);
    query = query.where((eb) =>
      eb.or([
        lowerLike(eb.ref('sessions.title'), pattern),
        eb.exists(
          eb
            .selectFrom('turns')
            .select('turns.id')
            .whereRef('turns.session_id', '=', 'sessions.id')
            .where((inner) => lowerLike(inner.ref('turns.user_message'), pattern)),
        ),
      ]),
    );
  }
  return query;
}

export async function listSessions(
  context: StoreContext,
  identity: Identity,
  options: SessionListOptions,
): Promise<Page<SessionRow>> {
  if (!Number.isInteger(options.limit) || options.limit < 1) {
    throw new RangeError(`listSessions limit must be a positive integer; got ${options.limit}`);
  }
  let query = filteredSessions(context, identity, options).selectAll('sessions');
  if (options.cursor) {
    const after = decodeSessionCursor(options.cursor);
    query = query.where((eb) =>
      eb.or([
        eb('sessions.updated_at', '<', after.updatedAt),
        eb.and([eb('sessions.updated_at', '=', after.updatedAt), eb('sessions.id', '<', after.id)]),
      ]),
    );
  }
  if (options.offset) query = query.offset(options.offset);
  // One row more than asked tells whether another page exists.
  const rows = await query
    .orderBy('sessions.updated_at', 'desc')
    .orderBy('sessions.id', 'desc')
    .limit(options.limit + 1)
    .execute();
  const items = rows.slice(0, options.limit).map(toSessionRow);
  const last = items.at(-1);
  const nextCursor =
    rows.length > options.limit && last
      ? encodeSessionCursor({ updatedAt: last.updatedAt, id: last.id })
      : null;
  return { items, nextCursor };
}

export async function countSessions(
  context: StoreContext,
  identity: Identity,
  filter: SessionFilter,
): Promise<number> {
  const row = await filteredSessions(context, identity, filter)
    .select((eb) => eb.fn.countAll().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Changes only what the patch names; does not touch updatedAt (that follows conversation activity). */
export async function updateSession(
  context: StoreContext,
  id: string,
  patch: Parameters<SessionStore['updateSession']>[1],
): Promise<void> {
  const values: Partial<Database['sessions']> = {};
  if (patch.title !== undefined) values.title = patch.title;
  if (patch.activeDocumentId !== undefined) values.active_document_id = patch.activeDocumentId;
  if (patch.coreMemory !== undefined) values.core_memory = JSON.stringify(patch.coreMemory);
  if (patch.historySummary !== undefined) values.history_summary = patch.historySummary;
  if (patch.summarizedThrough !== undefined) values.summarized_through = patch.summarizedThrough;
  if (Object.keys(values).length === 0) return;
  await context.db.updateTable('sessions').set(values).where('id', '=', id).execute();
}

/** Archiving twice keeps the first time, so repeating a DELETE never postpones the purge. */
export async function archiveSession(context: StoreContext, id: string, at: number): Promise<void> {
  await context.db
    .updateTable('sessions')
    .set({ status: 'archived', archived_at: at })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .execute();
}

/**
 * Turns, steps, documents and their text, events, feedback and traces go with it by ON
 * DELETE CASCADE; spans, which reference no session, are deleted first through those traces.
 */
export async function purgeArchivedSessions(context: StoreContext, before: number): Promise<number> {
  return context.db.transaction().execute(async (trx) => {
    const purged = trx
      .selectFrom('sessions')
      .select('sessions.id')
      .where('sessions.status', '=', 'archived')
      .where('sessions.archived_at', '<', before);
    await deleteSpansOfSessions(trx, purged);
    const result = await trx.deleteFrom('sessions').where('id', 'in', purged).executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}

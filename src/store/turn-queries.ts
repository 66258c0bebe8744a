/** Turns: numbered per session, deduplicated by client_message_id, finished once, found again after a crash. */
import { sql } from 'kysely';
import { toWireUsage, ZERO_USAGE } from '../util/usage.js';
import { DuplicateTurnError } from './duplicate-turn-error.js';
import { toTurnRow } from './rows.js';
import { titleFromMessage } from './session-title.js';
import type { StoreContext } from './store-context.js';
import type { TurnRow, TurnStore } from './turn-store.js';
import { isUniqueViolation, type UniqueIndex } from './unique-violation.js';

const CLIENT_MESSAGE_INDEX: UniqueIndex = {
  name: 'turns_session_client_message_id',
  table: 'turns',
  columns: ['session_id', 'client_message_id'],
};

export async function createTurn(
  context: StoreContext,
  fields: Parameters<TurnStore['createTurn']>[0],
): Promise<TurnRow> {
  const title = titleFromMessage(fields.userMessage);
  try {
    return await context.db.transaction().execute(async (trx) => {
      // Updating the session first takes its row lock (Postgres) or the write lock (SQLite), so
      // two turns started at once in one session read max(index) one after the other.
      const bumped = await trx
        .updateTable('sessions')
        .set((eb) => ({
          updated_at: eb
            .case()
            .when('updated_at', '<', fields.startedAt)
            .then(fields.startedAt)
            .else(eb.ref('updated_at'))
            .end(),
          title: eb.case().when('title', '=', '').then(title).else(eb.ref('title')).end(),
        }))
        .where('id', '=', fields.sessionId)
        .executeTakeFirst();
      if (Number(bumped.numUpdatedRows) === 0) throw new Error(`no session ${fields.sessionId}`);
      const { last } = await trx
        .selectFrom('turns')
        .select((eb) => eb.fn.max('turn_index').as('last'))
        .where('session_id', '=', fields.sessionId)
        .executeTakeFirstOrThrow();
      const row = {
        id: fields.id,
        session_id: fields.sessionId,
        workspace_id: fields.identity.workspaceId,
        user_id: fields.identity.userId,
        turn_index: (last ?? 0) + 1,
        client_message_id: fields.clientMessageId ?? null,
        user_message: fields.userMessage,
        assistant_message: null,
        execution_mode: fields.executionMode,
        status: 'running',
        error: null,
        started_at: fields.startedAt,
        finished_at: null,
        duration_ms: null,
        ...toWireUsage(ZERO_USAGE),
        trace_id: null,
      };
      // Written only when known, so callers that do not track it also work on a schema before
      // 0004 (the migration tests write through an older schema).
      const startSeq = fields.chatStartSeq;
      await trx
        .insertInto('turns')
        .values(startSeq === undefined ? row : { ...row, chat_start_seq: startSeq })
        .execute();
      return toTurnRow({ ...row, chat_start_seq: startSeq ?? null });
    });
  } catch (error) {
    if (fields.clientMessageId !== undefined && isUniqueViolation(error, CLIENT_MESSAGE_INDEX)) {
      throw new DuplicateTurnError(fields.sessionId, fields.clientMessageId);
    }
    throw error;
  }
}

export async function getTurn(context: StoreContext, id: string): Promise<TurnRow | undefined> {
  const row = await context.db.selectFrom('turns').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toTurnRow(row);
}

export async function findTurnByClientMessageId(
  context: StoreContext,
  sessionId: string,
  clientMessageId: string,
): Promise<TurnRow | undefined> {
  const row = await context.db
    .selectFrom('turns')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('client_message_id', '=', clientMessageId)
    .executeTakeFirst();
  return row && toTurnRow(row);
}

export async function listTurns(
  context: StoreContext,
  sessionId: string,
  options: { limit?: number; afterIndex?: number; offset?: number } = {},
): Promise<TurnRow[]> {
  let query = context.db.selectFrom('turns').selectAll().where('session_id', '=', sessionId);
  if (options.afterIndex !== undefined) query = query.where('turn_index', '>', options.afterIndex);
  // SQLite takes OFFSET only after a LIMIT.
  const limit = options.limit ?? (options.offset ? Number.MAX_SAFE_INTEGER : undefined);
  if (limit !== undefined) query = query.limit(limit);
  if (options.offset) query = query.offset(options.offset);
  const rows = await query.orderBy('turn_index', 'asc').execute();
  return rows.map(toTurnRow);
}

export async function countTurns(context: StoreContext, sessionId: string): Promise<number> {
  const row = await context.db
    .selectFrom('turns')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('session_id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function finishTurn(
  context: StoreContext,
  id: string,
  fields: Parameters<TurnStore['finishTurn']>[1],
): Promise<void> {
  await context.db
    .updateTable('turns')
    .set((eb) => ({
      status: fields.status,
      assistant_message: fields.assistantMessage ?? null,
      error: fields.error ?? null,
      finished_at: fields.finishedAt,
      duration_ms: sql<number>`${fields.finishedAt} - ${eb.ref('started_at')}`,
      ...toWireUsage(fields.usage),
      trace_id: fields.traceId ?? null,
    }))
    .where('id', '=', id)
    .execute();
}

export async function runningTurns(context: StoreContext): Promise<TurnRow[]> {
  const rows = await context.db
    .selectFrom('turns')
    .selectAll()
    .where('status', '=', 'running')
    .orderBy('started_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
  return rows.map(toTurnRow);
}

/**
 * The replay log: every frame of a session's two streams under its per-stream `seq`. Appends
 * come in batches from the event emitter (one transaction each); reads are range scans on the
 * primary key (session_id, stream, seq).
 */

import type { EventRow, EventStream } from './event-log.js';
import { toEventRow, toJson } from './rows.js';
import { onRawSqlite, type SqliteHandle, type StoreContext } from './store-context.js';

/** Rows per INSERT: 6 parameters a row stays far below either dialect's parameter limit. */
const EVENTS_PER_STATEMENT = 1000;

export async function appendEvents(context: StoreContext, events: EventRow[]): Promise<void> {
  if (events.length === 0) return;
  const { sqlite } = context;
  if (sqlite) {
    await onRawSqlite(context, sqlite, (raw) => insertEventsSqlite(raw, events));
    return;
  }
  const rows = events.map((event) => ({
    session_id: event.sessionId,
    stream: event.stream,
    seq: event.seq,
    turn_id: event.turnId,
    frame: event.frameJson ?? toJson(event.frame) ?? 'null',
    created_at: event.createdAt,
  }));
  await context.db.transaction().execute(async (trx) => {
    for (let start = 0; start < rows.length; start += EVENTS_PER_STATEMENT) {
      await trx
        .insertInto('events')
        .values(rows.slice(start, start + EVENTS_PER_STATEMENT))
        .execute();
    }
  });
}

const statements = new WeakMap<SqliteHandle, (events: EventRow[]) => void>();

/** One prepared INSERT per connection, run for every row inside one transaction. */
function insertEventsSqlite(sqlite: SqliteHandle, events: EventRow[]): void {
  let insertAll = statements.get(sqlite);
  if (!insertAll) {
    const insert = sqlite.prepare(
      'insert into events (session_id, stream, seq, turn_id, frame, created_at) values (?, ?, ?, ?, ?, ?)',
    );
    insertAll = sqlite.transaction((rows: EventRow[]) => {
      for (const row of rows) {
        insert.run(
          row.sessionId,
          row.stream,
          row.seq,
          row.turnId,
          row.frameJson ?? toJson(row.frame) ?? 'null',
          row.createdAt,
        );
      }
    });
    statements.set(sqlite, insertAll);
  }
  insertAll(events);
}

export async function readEvents(
  context: StoreContext,
  sessionId: string,
  stream: EventStream,
  afterSeq: number,
  limit: number,
): Promise<EventRow[]> {
  const rows = await context.db
    .selectFrom('events')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('stream', '=', stream)
    .where('seq', '>', afterSeq)
    .orderBy('seq', 'asc')
    .limit(limit)
    .execute();
  return rows.map(toEventRow);
}

export async function seqRange(
  context: StoreContext,
  sessionId: string,
  stream: EventStream,
): Promise<{ first: number; last: number }> {
  const row = await context.db
    .selectFrom('events')
    .select((eb) => [eb.fn.min('seq').as('first'), eb.fn.max('seq').as('last')])
    .where('session_id', '=', sessionId)
    .where('stream', '=', stream)
    .executeTakeFirst();
  return { first: row?.first ?? 0, last: row?.last ?? 0 };
}

/** Counts rows rather than assuming seq has no gaps, so it keeps exactly `keep` frames. */
export async function trimEvents(
  context: StoreContext,
  sessionId: string,
  stream: EventStream,
  keep: number,
): Promise<void> {
  await context.db.transaction().execute(async (trx) => {
    const scope = trx.deleteFrom('events').where('session_id', '=', sessionId).where('stream', '=', stream);
    if (keep <= 0) {
      await scope.execute();
      return;
    }
    const oldestKept = await trx
      .selectFrom('events')
      .select('seq')
      .where('session_id', '=', sessionId)
      .where('stream', '=', stream)
      .orderBy('seq', 'desc')
      .offset(keep - 1)
      .limit(1)
      .executeTakeFirst();
    if (oldestKept === undefined) return;
    await scope.where('seq', '<', oldestKept.seq).execute();
  });
}

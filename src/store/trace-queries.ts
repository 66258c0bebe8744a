/**
 * The embedded trace store: span batches as the exporter hands them over, with the summary row
 * of each trace whose root span ends in the batch, and the reads behind the trace views. Spans
 * arrive before their trace row, so neither write checks the other (see migration 0002).
 */
import type { Kysely, SelectQueryBuilder } from 'kysely';
import { toWireUsage } from '../util/usage.js';
import { decodeListCursor, encodeListCursor } from './list-cursor.js';
import type { Page } from './page.js';
import { toSpanRow, toTraceRow } from './rows.js';
import type { Database } from './schema.js';
import { onRawSqlite, type SqliteHandle, type StoreContext } from './store-context.js';
import type { SpanRow, TraceRow } from './trace-store.js';

/** Rows per INSERT: 11 parameters a row, well under either dialect's bound-parameter limit. */
const SPANS_PER_STATEMENT = 500;

/**
 * One export batch in one transaction: its spans, and the summaries of the traces whose root
 * it holds. An exporter may retry a batch it already delivered: the span stored first stays,
 * the summary is replaced.
 */
export async function writeSpans(context: StoreContext, spans: SpanRow[], traces: TraceRow[]): Promise<void> {
  if (spans.length === 0 && traces.length === 0) return;
  const { sqlite } = context;
  if (sqlite) {
    await onRawSqlite(context, sqlite, (raw) => sqliteStatements(raw).writeSpans(spans, traces));
    return;
  }
  const rows = spans.map((span) => ({
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    name: span.name,
    span_type: span.spanType,
    start_us: span.startUs,
    end_us: span.endUs,
    status: span.status,
    status_message: span.statusMessage,
    attributes: JSON.stringify(span.attributes),
    events: JSON.stringify(span.events),
  }));
  await context.db.transaction().execute(async (trx) => {
    for (let start = 0; start < rows.length; start += SPANS_PER_STATEMENT) {
      await trx
        .insertInto('spans')
        .values(rows.slice(start, start + SPANS_PER_STATEMENT))
        // DO NOTHING (unlike DO UPDATE) also skips a repeat within the same statement.
        .onConflict((conflict) => conflict.columns(['trace_id', 'span_id']).doNothing())
        .execute();
    }
    for (const trace of traces) await upsertTrace(trx, trace);
  });
}

async function upsertTrace(db: Kysely<Database>, trace: TraceRow): Promise<void> {
  await db
    .insertInto('traces')
    .values({
      trace_id: trace.traceId,
      session_id: trace.sessionId,
      turn_id: trace.turnId,
      workspace_id: trace.workspaceId,
      user_id: trace.userId,
      name: trace.name,
      status: trace.status,
      started_at: trace.startedAt,
      duration_ms: trace.durationMs,
      request_preview: trace.requestPreview,
      response_preview: trace.responsePreview,
      ...toWireUsage(trace.usage),
      span_count: trace.spanCount,
    })
    .onConflict((conflict) =>
      conflict.column('trace_id').doUpdateSet((eb) => ({
        session_id: eb.ref('excluded.session_id'),
        turn_id: eb.ref('excluded.turn_id'),
        workspace_id: eb.ref('excluded.workspace_id'),
        user_id: eb.ref('excluded.user_id'),
        name: eb.ref('excluded.name'),
        status: eb.ref('excluded.status'),
        started_at: eb.ref('excluded.started_at'),
        duration_ms: eb.ref('excluded.duration_ms'),
        request_preview: eb.ref('excluded.request_preview'),
        response_preview: eb.ref('excluded.response_preview'),
        input_tokens: eb.ref('excluded.input_tokens'),
        output_tokens: eb.ref('excluded.output_tokens'),
        total_tokens: eb.ref('excluded.total_tokens'),
        cost_usd: eb.ref('excluded.cost_usd'),
        span_count: eb.ref('excluded.span_count'),
      })),
    )
    .execute();
}

export async function getTrace(context: StoreContext, traceId: string): Promise<TraceRow | undefined> {
  const row = await context.db
    .selectFrom('traces')
    .selectAll()
    .where('trace_id', '=', traceId)
    .executeTakeFirst();
  return row && toTraceRow(row);
}

/** Newest first by (startedAt, traceId), in keyset pages like `listSessions`. */
export async function listTraces(
  context: StoreContext,
  sessionId: string,
  options: { limit: number; cursor?: string },
): Promise<Page<TraceRow>> {
  if (!Number.isInteger(options.limit) || options.limit < 1) {
    throw new RangeError(`listTraces limit must be a positive integer; got ${options.limit}`);
  }
  let query = context.db.selectFrom('traces').selectAll().where('session_id', '=', sessionId);
  if (options.cursor) {
    const after = decodeListCursor(options.cursor);
    // A row-value comparison: one range on the (session_id, started_at, trace_id) index.
    query = query.where((eb) => eb(eb.refTuple('started_at', 'trace_id'), '<', eb.tuple(after.at, after.id)));
  }
  // One row more than asked tells whether another page exists.
  const rows = await query
    .orderBy('started_at', 'desc')
    .orderBy('trace_id', 'desc')
    .limit(options.limit + 1)
    .execute();
  const items = rows.slice(0, options.limit).map(toTraceRow);
  const last = items.at(-1);
  const nextCursor =
    rows.length > options.limit && last ? encodeListCursor({ at: last.startedAt, id: last.traceId }) : null;
  return { items, nextCursor };
}

/** Start order; span_id breaks ties so the order is the same on every read and dialect. */
export async function listSpans(context: StoreContext, traceId: string): Promise<SpanRow[]> {
  const rows = await context.db
    .selectFrom('spans')
    .selectAll()
    .where('trace_id', '=', traceId)
    .orderBy('start_us', 'asc')
    .orderBy('span_id', 'asc')
    .execute();
  return rows.map(toSpanRow);
}

/**
 * For the purge, inside its transaction and before the sessions go: spans hang off no session
 * (see migration 0002), so they are found through the traces of the sessions being purged,
 * which the sessions' ON DELETE CASCADE removes right after.
 */
export async function deleteSpansOfSessions(
  db: Kysely<Database>,
  sessionIds: SelectQueryBuilder<Database, 'sessions', { id: string }>,
): Promise<void> {
  await db
    .deleteFrom('spans')
    .where('trace_id', 'in', (eb) =>
      eb.selectFrom('traces').select('traces.trace_id').where('traces.session_id', 'in', sessionIds),
    )
    .execute();
}

interface SqliteTraceStatements {
  writeSpans(spans: SpanRow[], traces: TraceRow[]): void;
}

const prepared = new WeakMap<SqliteHandle, SqliteTraceStatements>();

/**
 * SQLite's fast path: statements prepared once per connection (Kysely would build and prepare a
 * statement per batch and per trace, which is most of what tracing costs a turn). Same SQL
 * meaning as the Kysely queries above, which Postgres keeps using.
 */
function sqliteStatements(sqlite: SqliteHandle): SqliteTraceStatements {
  let statements = prepared.get(sqlite);
  if (statements) return statements;
  const insertSpan = sqlite.prepare(
    `insert into spans (trace_id, span_id, parent_span_id, name, span_type, start_us, end_us, status,
       status_message, attributes, events) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (trace_id, span_id) do nothing`,
  );
  const columns = [
    'session_id',
    'turn_id',
    'workspace_id',
    'user_id',
    'name',
    'status',
    'started_at',
    'duration_ms',
    'request_preview',
    'response_preview',
    'input_tokens',
    'output_tokens',
    'total_tokens',
    'cost_usd',
    'span_count',
  ];
  const upsert = sqlite.prepare(
    `insert into traces (trace_id, ${columns.join(', ')}) values (?${', ?'.repeat(columns.length)})
     on conflict (trace_id) do update set ${columns.map((column) => `${column} = excluded.${column}`).join(', ')}`,
  );
  const upsertTraceRow = (trace: TraceRow) => {
    const usage = toWireUsage(trace.usage);
    upsert.run(
      trace.traceId,
      trace.sessionId,
      trace.turnId,
      trace.workspaceId,
      trace.userId,
      trace.name,
      trace.status,
      trace.startedAt,
      trace.durationMs,
      trace.requestPreview,
      trace.responsePreview,
      usage.input_tokens,
      usage.output_tokens,
      usage.total_tokens,
      usage.cost_usd,
      trace.spanCount,
    );
  };
  statements = {
    // One transaction: each commit appends its pages to the WAL, which the checkpoint copies again.
    writeSpans: sqlite.transaction((spans: SpanRow[], traces: TraceRow[]) => {
      for (const span of spans) {
        insertSpan.run(
          span.traceId,
          span.spanId,
          span.parentSpanId,
          span.name,
          span.spanType,
          span.startUs,
          span.endUs,
          span.status,
          span.statusMessage,
          JSON.stringify(span.attributes),
          JSON.stringify(span.events),
        );
      }
      for (const trace of traces) upsertTraceRow(trace);
    }),
  };
  prepared.set(sqlite, statements);
  return statements;
}

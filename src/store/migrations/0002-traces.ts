/**
 * The embedded trace store: `traces` (one summary row per turn) and `spans` (every finished
 * span). Self-contained on purpose — no helpers shared with 0001 — so a later edit elsewhere
 * can never change what an applied migration would have created.
 *
 * How the tables are tied to their session, and why spans are not tied to traces:
 * - `traces.session_id` references `sessions` ON DELETE CASCADE, like every other table a
 *   session owns, so purging a session drops its traces.
 * - `spans` has no foreign key to `traces`: children end, and are exported, before the root
 *   span, and the trace row is written only when the root ends. A FK (even a deferred one,
 *   which lasts one transaction) would reject every span but the root.
 * - `spans` has no session_id either: a SpanRow does not carry its session (the contract keys
 *   spans by trace alone), so the column could not be filled at insert. Instead the purge
 *   deletes the spans of the purged sessions' traces by trace id, in the same transaction
 *   that deletes the sessions (`session-queries.ts`). Spans whose trace row never arrived
 *   (the process died before the root span ended) belong to no known session and stay.
 */
import type { Kysely, Migration } from 'kysely';

export function tracesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('traces')
        .addColumn('trace_id', 'text', (column) => column.primaryKey())
        .addColumn('session_id', 'text', (column) =>
          column.notNull().references('sessions.id').onDelete('cascade'),
        )
        // No foreign key: a trace is a record of what ran, kept as long as its session.
        .addColumn('turn_id', 'text')
        .addColumn('workspace_id', 'text', (column) => column.notNull())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('started_at', 'bigint', (column) => column.notNull())
        .addColumn('duration_ms', 'bigint')
        .addColumn('request_preview', 'text', (column) => column.notNull())
        .addColumn('response_preview', 'text', (column) => column.notNull())
        .addColumn('input_tokens', 'bigint', (column) => column.notNull())
        .addColumn('output_tokens', 'bigint', (column) => column.notNull())
        .addColumn('total_tokens', 'bigint', (column) => column.notNull())
        .addColumn('cost_usd', 'double precision', (column) => column.notNull())
        .addColumn('span_count', 'integer', (column) => column.notNull())
        .execute();
      // listTraces: one session, newest first, trace_id breaking ties (the cursor's key).
      await db.schema
        .createIndex('traces_session_started')
        .on('traces')
        .columns(['session_id', 'started_at desc', 'trace_id desc'])
        .execute();

      await db.schema
        .createTable('spans')
        .addColumn('trace_id', 'text', (column) => column.notNull())
        .addColumn('span_id', 'text', (column) => column.notNull())
        .addColumn('parent_span_id', 'text')
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('span_type', 'text', (column) => column.notNull())
        // Epoch microseconds (~1.7e15) stay far below 2^53, so they read back as exact numbers.
        .addColumn('start_us', 'bigint', (column) => column.notNull())
        .addColumn('end_us', 'bigint', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('status_message', 'text')
        .addColumn('attributes', 'text', (column) => column.notNull())
        .addColumn('events', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('spans_pk', ['trace_id', 'span_id'])
        .execute();
      // listSpans: one trace in start order; span_id makes the order total.
      await db.schema
        .createIndex('spans_trace_start')
        .on('spans')
        .columns(['trace_id', 'start_us', 'span_id'])
        .execute();
    },

    /** Back to the 0001 schema (the tests use it to recreate a database made before traces). */
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('spans').execute();
      await db.schema.dropTable('traces').execute();
    },
  };
}

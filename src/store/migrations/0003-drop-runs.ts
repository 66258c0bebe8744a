/**
 * Drops `runs`: 0001 made it for one row per agent and RLM run, but no release ever wrote to it
 * (the run tree is kept twice already: as execution steps, which a turn's trajectory is read
 * from, and as spans in the trace store). Its rows, on databases that have any, are not needed
 * by anything. Self-contained like every migration, so later edits cannot change what it does.
 */
import type { Kysely, Migration } from 'kysely';

export function dropRunsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // Its one index (runs_turn) goes with it.
      await db.schema.dropTable('runs').execute();
    },

    /** Back to the 0002 schema, an empty `runs` as 0001 made it (tests step back through this). */
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('runs')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('turn_id', 'text', (column) => column.notNull().references('turns.id').onDelete('cascade'))
        .addColumn('session_id', 'text', (column) => column.notNull())
        .addColumn('parent_run_id', 'text')
        .addColumn('depth', 'integer', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('question', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('termination_reason', 'text')
        .addColumn('started_at', 'bigint', (column) => column.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('input_tokens', 'bigint', (column) => column.notNull())
        .addColumn('output_tokens', 'bigint', (column) => column.notNull())
        .addColumn('total_tokens', 'bigint', (column) => column.notNull())
        .addColumn('cost_usd', 'double precision', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('runs_turn').on('runs').column('turn_id').execute();
    },
  };
}

/**
 * The first schema: every table of `schema.ts` as it was then (0003 dropped `runs`) with the
 * indexes the store's queries use. Rows a session owns hang off it with ON DELETE CASCADE
 * (directly, or through its turns or documents), so purging a session is one DELETE and no table
 * can keep an orphan.
 */
import { type CreateTableBuilder, type Kysely, type Migration, sql } from 'kysely';
import type { StoreDialect } from '../schema.js';

export function initialMigration(dialect: StoreDialect): Migration {
  const postgres = dialect === 'postgres';
  // SQLite has no boolean or bytea; `integer` and `blob` are its native equivalents.
  const booleanType = postgres ? 'boolean' : 'integer';
  const bytesType = postgres ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('workspaces')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('workspace_id', 'text', (column) => column.notNull().references('workspaces.id'))
        .addColumn('id', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addPrimaryKeyConstraint('users_pk', ['workspace_id', 'id'])
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('workspace_id', 'text', (column) => column.notNull())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('title', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addColumn('updated_at', 'bigint', (column) => column.notNull())
        .addColumn('archived_at', 'bigint')
        // No foreign key: documents are created after the session, and deleteDocument clears it.
        .addColumn('active_document_id', 'text')
        .addColumn('core_memory', 'text', (column) => column.notNull())
        .addColumn('history_summary', 'text', (column) => column.notNull())
        .addColumn('summarized_through', 'integer', (column) => column.notNull())
        .addForeignKeyConstraint('sessions_user_fk', ['workspace_id', 'user_id'], 'users', [
          'workspace_id',
          'id',
        ])
        .execute();
      await db.schema
        .createIndex('sessions_owner_updated')
        .on('sessions')
        .columns(['workspace_id', 'user_id', 'updated_at', 'id'])
        .execute();
      await db.schema
        .createIndex('sessions_archived')
        .on('sessions')
        .column('archived_at')
        .where(sql.ref('status'), '=', 'archived')
        .execute();

      await db.schema
        .createTable('turns')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('session_id', 'text', (column) =>
          column.notNull().references('sessions.id').onDelete('cascade'),
        )
        .addColumn('workspace_id', 'text', (column) => column.notNull())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('turn_index', 'integer', (column) => column.notNull())
        .addColumn('client_message_id', 'text')
        .addColumn('user_message', 'text', (column) => column.notNull())
        .addColumn('assistant_message', 'text')
        .addColumn('execution_mode', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('error', 'text')
        .addColumn('started_at', 'bigint', (column) => column.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('duration_ms', 'bigint')
        .$call(addUsageColumns)
        .addColumn('trace_id', 'text')
        .execute();
      await db.schema
        .createIndex('turns_session_index')
        .unique()
        .on('turns')
        .columns(['session_id', 'turn_index'])
        .execute();
      await db.schema
        .createIndex('turns_session_client_message_id')
        .unique()
        .on('turns')
        .columns(['session_id', 'client_message_id'])
        .where(sql.ref('client_message_id'), 'is not', null)
        .execute();
      await db.schema
        .createIndex('turns_running')
        .on('turns')
        .column('started_at')
        .where(sql.ref('status'), '=', 'running')
        .execute();

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
        .$call(addUsageColumns)
        .execute();
      await db.schema.createIndex('runs_turn').on('runs').column('turn_id').execute();

      await db.schema
        .createTable('execution_steps')
        // SQLite's `integer primary key` is the rowid: assigned in insertion order, no extra index.
        .addColumn('ordinal', postgres ? 'bigserial' : 'integer', (column) => column.primaryKey())
        .addColumn('id', 'text', (column) => column.notNull().unique())
        .addColumn('session_id', 'text', (column) => column.notNull())
        .addColumn('turn_id', 'text', (column) => column.notNull().references('turns.id').onDelete('cascade'))
        .addColumn('run_id', 'text', (column) => column.notNull())
        .addColumn('parent_id', 'text')
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('label', 'text', (column) => column.notNull())
        .addColumn('depth', 'integer', (column) => column.notNull())
        .addColumn('actor_kind', 'text', (column) => column.notNull())
        .addColumn('actor_id', 'text', (column) => column.notNull())
        .addColumn('lane_key', 'text', (column) => column.notNull())
        .addColumn('input', 'text')
        .addColumn('output', 'text')
        .addColumn('timestamp_ms', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('execution_steps_turn')
        .on('execution_steps')
        .columns(['turn_id', 'ordinal'])
        .execute();

      await db.schema
        .createTable('documents')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('session_id', 'text', (column) =>
          column.notNull().references('sessions.id').onDelete('cascade'),
        )
        .addColumn('alias', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('source', 'text', (column) => column.notNull())
        .addColumn('mime_type', 'text', (column) => column.notNull())
        .addColumn('size_bytes', 'bigint', (column) => column.notNull())
        .addColumn('text_chars', 'bigint', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('documents_session')
        .on('documents')
        .columns(['session_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('documents_session_alias')
        .on('documents')
        .columns(['session_id', 'alias'])
        .execute();

      await db.schema
        .createTable('document_texts')
        .addColumn('document_id', 'text', (column) =>
          column.primaryKey().references('documents.id').onDelete('cascade'),
        )
        .addColumn('text', bytesType, (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('events')
        .addColumn('session_id', 'text', (column) =>
          column.notNull().references('sessions.id').onDelete('cascade'),
        )
        .addColumn('stream', 'text', (column) => column.notNull())
        .addColumn('seq', 'bigint', (column) => column.notNull())
        .addColumn('turn_id', 'text')
        .addColumn('frame', 'text', (column) => column.notNull())
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .addPrimaryKeyConstraint('events_pk', ['session_id', 'stream', 'seq'])
        .execute();

      await db.schema
        .createTable('feedback')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('turn_id', 'text', (column) => column.notNull().references('turns.id').onDelete('cascade'))
        .addColumn('trace_id', 'text')
        .addColumn('workspace_id', 'text', (column) => column.notNull())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('is_correct', booleanType, (column) => column.notNull())
        .addColumn('comment', 'text')
        .addColumn('expected_response', 'text')
        .addColumn('created_at', 'bigint', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('feedback_turn').on('feedback').column('turn_id').execute();
      await db.schema.createIndex('feedback_trace').on('feedback').column('trace_id').execute();
    },
  };
}

function addUsageColumns(table: CreateTableBuilder<string, string>): CreateTableBuilder<string, string> {
  return table
    .addColumn('input_tokens', 'bigint', (column) => column.notNull())
    .addColumn('output_tokens', 'bigint', (column) => column.notNull())
    .addColumn('total_tokens', 'bigint', (column) => column.notNull())
    .addColumn('cost_usd', 'double precision', (column) => column.notNull());
}

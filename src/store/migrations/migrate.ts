/**
 * Runs the schema migrations, in code (no migration folder to find at run time, so the built
 * package and the tests use the same list). Called on every open; applied migrations are
 * recorded in Kysely's `kysely_migration` table, so a second open does nothing.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Database, StoreDialect } from '../schema.js';
import { initialMigration } from './0001-initial.js';
import { tracesMigration } from './0002-traces.js';
import { dropRunsMigration } from './0003-drop-runs.js';
import { turnStartSeqMigration } from './0004-turn-start-seq.js';

/** Every migration by name; names sort in the order they must run. */
export function storeMigrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(dialect),
    '0002-traces': tracesMigration(),
    '0003-drop-runs': dropRunsMigration(),
    '0004-turn-start-seq': turnStartSeqMigration(),
  };
}

class InCodeMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

export async function migrateToLatest(db: Kysely<Database>, dialect: StoreDialect): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new InCodeMigrationProvider(storeMigrations(dialect)),
    migrationTableSchema: dialect === 'postgres' ? await currentSchema(db) : undefined,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((result) => result.status === 'Error')?.migrationName;
  throw new Error(`database migration ${failed ?? '(before any migration)'} failed: ${String(error)}`, {
    cause: error,
  });
}

/**
 * Kysely looks for its migration tables in every schema unless told which one, so a second
 * fleet-rlm schema in the same database (another deployment, or a test run) would make it skip
 * creating its own. The tables go where the store's tables go: the first schema on search_path.
 */
async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) {
    throw new Error('the Postgres search_path names no existing schema: create it, or fix search_path');
  }
  return schema;
}

/**
 * Opens the configured Store and brings its schema up to date: Postgres when DATABASE_URL is
 * set, else SQLite at `<dataDir>/fleet-rlm.db`. A Postgres that cannot be reached fails here,
 * with a DatabaseUnreachableError that says which URL and what to check.
 */
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import type { Config } from '../config/config.js';
import { DatabaseUnreachableError } from './database-unreachable-error.js';
import { KyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations/migrate.js';
import type { Database, StoreDialect } from './schema.js';
import { createSqliteDatabase, SQLITE_FILE_NAME } from './sqlite-database.js';
import type { Store } from './store.js';
import type { SqliteHandle } from './store-context.js';

export interface OpenStoreOptions {
  /** SQLite file to use instead of `<dataDir>/fleet-rlm.db` (ignored when DATABASE_URL is set). */
  sqlitePath?: string;
}

export async function openStore(config: Config, options: OpenStoreOptions = {}): Promise<Store> {
  const url = config.database.url;
  if (url) {
    // Loaded here so that a SQLite-only process never imports pg.
    const { createPostgresDatabase } = await import('./postgres-database.js');
    const db = await createPostgresDatabase(url);
    try {
      await sql`select 1`.execute(db);
    } catch (error) {
      await db.destroy();
      throw new DatabaseUnreachableError(url, error);
    }
    return migrated(db, 'postgres');
  }
  const sqlite = createSqliteDatabase(options.sqlitePath ?? join(config.dataDir, SQLITE_FILE_NAME));
  return migrated(sqlite.db, 'sqlite', sqlite.raw, sqlite.stopCheckpoints);
}

async function migrated(
  db: Kysely<Database>,
  dialect: StoreDialect,
  sqlite?: SqliteHandle,
  beforeClose?: () => Promise<void>,
): Promise<Store> {
  try {
    await migrateToLatest(db, dialect);
  } catch (error) {
    await beforeClose?.();
    await db.destroy();
    throw error;
  }
  return new KyselyStore(db, dialect, sqlite, beforeClose);
}

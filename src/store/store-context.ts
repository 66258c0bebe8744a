/** What every query module of the Kysely store is given: the database and its dialect. */
import type Sqlite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database, StoreDialect } from './schema.js';

export type SqliteHandle = Sqlite.Database;

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  /**
   * SQLite only: the connection Kysely wraps, for the replay log's hot path (a cached
   * prepared statement instead of compiling an INSERT per batch). Only ever used while
   * holding Kysely's connection, so it never interleaves with a Kysely transaction.
   */
  readonly sqlite?: SqliteHandle;
}

/**
 * Runs `write` on the raw SQLite connection while holding Kysely's only connection, so no
 * Kysely transaction is open around it (the fast paths open their own).
 */
export function onRawSqlite<T>(
  context: StoreContext,
  sqlite: SqliteHandle,
  write: (sqlite: SqliteHandle) => T,
): Promise<T> {
  return context.db.connection().execute(async () => write(sqlite));
}

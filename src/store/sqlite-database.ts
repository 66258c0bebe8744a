/**
 * Opens the embedded SQLite database (better-sqlite3) as a Kysely instance, with the settings
 * the store relies on: WAL (readers never block the writer), synchronous=NORMAL (durable at
 * every checkpoint, and a crash loses at most the last transactions, never consistency),
 * foreign keys on (purges cascade through them), and a busy timeout for a second process.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';

export const SQLITE_FILE_NAME = 'fleet-rlm.db';
const BUSY_TIMEOUT_MS = 5000;

export function createSqliteDatabase(path: string): Kysely<Database> {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const database = new Sqlite(path);
  try {
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // SQLite's own lower() folds ASCII only; Postgres folds Unicode. Replacing it keeps
    // session search case-insensitive for every script on both dialects.
    database.function('lower', { deterministic: true }, (value: unknown) =>
      typeof value === 'string' ? value.toLowerCase() : value,
    );
  } catch (error) {
    database.close();
    throw error;
  }
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

/**
 * Opens the embedded SQLite database (better-sqlite3) as a Kysely instance, with the settings
 * the store relies on: WAL (readers never block the writer), synchronous=NORMAL (durable at
 * every checkpoint, and a crash loses at most the last transactions, never consistency),
 * foreign keys on (purges cascade through them), and a busy timeout for a second process.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { Kysely, type SqliteDatabase as KyselySqliteConnection, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';

export const SQLITE_FILE_NAME = 'fleet-rlm.db';
const BUSY_TIMEOUT_MS = 5000;

export interface SqliteDatabase {
  db: Kysely<Database>;
  raw: Sqlite.Database;
  /** Stops the checkpointing thread (after a last full checkpoint). */
  stopCheckpoints(): Promise<void>;
}

const CHECKPOINT_INTERVAL_MS = 1000;
const CHECKPOINT_WORKER = fileURLToPath(new URL('./sqlite-checkpoint-worker.mjs', import.meta.url));

export function createSqliteDatabase(path: string): SqliteDatabase {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const database = new Sqlite(path);
  try {
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!inMemory) database.pragma('wal_autocheckpoint = 0'); // see sqlite-checkpoint-worker.mjs
    // SQLite's own lower() folds ASCII only; Postgres folds Unicode. Replacing it keeps
    // session search case-insensitive for every script on both dialects.
    database.function('lower', { deterministic: true }, (value: unknown) =>
      typeof value === 'string' ? value.toLowerCase() : value,
    );
  } catch (error) {
    database.close();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return { db, raw: database, stopCheckpoints: inMemory ? async () => {} : startCheckpoints(path) };
}

/** Prepared statements kept per connection; enough for every query shape the store issues. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query it runs, and preparing is a large share of a query's cost. The
 * store issues the same few dozen SQL texts over and over, so the connection handed to Kysely
 * keeps its statements (least recently used out first). Safe because Kysely runs one query at
 * a time on its single connection, so a statement is never used by two queries at once.
 */
function withStatementCache(database: Sqlite.Database): KyselySqliteConnection {
  const statements = new Map<string, Sqlite.Statement>();
  return {
    close: () => database.close(),
    prepare: (sql: string) => {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql); // re-insert: the Map's order is the recency order
      } else {
        statement = database.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}

function startCheckpoints(path: string): () => Promise<void> {
  const worker = new Worker(CHECKPOINT_WORKER, {
    workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS },
    execArgv: [],
  });
  worker.unref();
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= new Promise<void>((resolve) => {
      worker.once('message', () => void worker.terminate().then(() => resolve()));
      worker.once('error', () => resolve());
      worker.once('exit', () => resolve());
      worker.postMessage('stop');
    });
    return stopping;
  };
}

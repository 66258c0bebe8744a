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
import { Kysely, SqliteDialect } from 'kysely';
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { db, raw: database, stopCheckpoints: inMemory ? async () => {} : startCheckpoints(path) };
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

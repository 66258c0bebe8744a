/**
 * The databases the store suite runs on, each test on a fresh empty store: SQLite in a temp
 * directory, and Postgres at TEST_DATABASE_URL in a database of its own per test file and run
 * (named after the run, dropped afterwards) with a schema per test (selected through the URL's
 * `options=-c search_path=…`), so parallel runs and reruns never share a table. A database per
 * file, not only a schema: Kysely's migrator lists tables across every schema of the database,
 * and that query fails if another file drops its schema at the same moment. Without TEST_DATABASE_URL the Postgres half fails under CI and is skipped,
 * with a warning, elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/config.js';
import { openStore } from '../../src/store/open-store.js';
import { createPostgresDatabase } from '../../src/store/postgres-database.js';
import type { Database } from '../../src/store/schema.js';
import { createSqliteDatabase } from '../../src/store/sqlite-database.js';
import type { Store } from '../../src/store/store.js';

export interface StoreHandle {
  store: Store;
  /** A second store on the same database (runs the migrations again). */
  reopen(): Promise<Store>;
  /** Rows of `table` whose `column` equals `value`, read with a plain client, not the store. */
  countRows(table: string, column: string, value: string): Promise<number>;
}

/**
 * A database no store has opened yet: no tables, no migrations. A test brings it to an older
 * schema with that schema's own migrations, fills it, then opens the store on it.
 */
export interface FreshDatabase {
  /** A plain Kysely connection to it (no migration has run). */
  db: Kysely<Database>;
  /** Opens the store on this database (running every pending migration). */
  openStore(): Promise<Store>;
  countRows: StoreHandle['countRows'];
  /** Closes `db`, once however often called (the stores opened are closed by the test). */
  close(): Promise<void>;
}

export interface StoreTarget {
  dialect: 'sqlite' | 'postgres';
  open(): Promise<StoreHandle>;
  fresh(): Promise<FreshDatabase>;
  /** Removes every database this target created so far. */
  cleanup(): Promise<void>;
}

const MISSING_POSTGRES =
  'TEST_DATABASE_URL is not set, so the store cannot be tested on Postgres. Start one with ' +
  '`scripts/test-postgres.sh start` and export the URL it prints as TEST_DATABASE_URL.';

/** Where a test's database lives, before any store opens it. */
interface Placed {
  config: Config;
  countRows: StoreHandle['countRows'];
  connect(): Promise<{ db: Kysely<Database>; close(): Promise<void> }>;
}

function opened(placed: Placed): Promise<StoreHandle> {
  return openStore(placed.config).then((store) => ({
    store,
    reopen: () => openStore(placed.config),
    countRows: placed.countRows,
  }));
}

async function freshDatabase(placed: Placed): Promise<FreshDatabase> {
  const { db, close } = await placed.connect();
  let closing: Promise<void> | undefined;
  return {
    db,
    close: () => (closing ??= close()),
    openStore: () => openStore(placed.config),
    countRows: placed.countRows,
  };
}

function sqliteTarget(): StoreTarget {
  const directories: string[] = [];
  const place = (): Placed => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fleet-store-'));
    directories.push(dataDir);
    const path = join(dataDir, 'fleet-rlm.db');
    return {
      config: loadConfig({ FLEET_DATA_DIR: dataDir }),
      async countRows(table, column, value) {
        const database = new Sqlite(path, { readonly: true });
        try {
          const row = database
            .prepare(`select count(*) as n from "${table}" where "${column}" = ?`)
            .get(value);
          return (row as { n: number }).n;
        } finally {
          database.close();
        }
      },
      async connect() {
        const sqlite = createSqliteDatabase(path);
        return {
          db: sqlite.db,
          close: async () => {
            await sqlite.stopCheckpoints();
            await sqlite.db.destroy();
          },
        };
      },
    };
  };
  return {
    dialect: 'sqlite',
    open: () => opened(place()),
    fresh: () => freshDatabase(place()),
    async cleanup() {
      for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
    },
  };
}

function postgresTarget(baseUrl: string): StoreTarget {
  const run = `${Date.now().toString(36)}_${process.pid}_${randomBytes(3).toString('hex')}`;
  let databases = 0;
  let current: { admin: pg.Client; database: string; client: pg.Client; schemas: number } | undefined;
  const connect = async (database?: string) => {
    const url = new URL(baseUrl);
    if (database) url.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    return client;
  };
  const useDatabase = async () => {
    if (!current) {
      const admin = await connect();
      const database = `store_test_${run}_${++databases}`;
      await admin.query(`create database "${database}" template template0`);
      current = { admin, database, client: await connect(database), schemas: 0 };
    }
    return current;
  };
  const place = async (): Promise<Placed> => {
    const target = await useDatabase();
    const { database, client } = target;
    const schema = `test_${++target.schemas}`;
    await client.query(`create schema "${schema}"`);
    const url = new URL(baseUrl);
    url.pathname = `/${database}`;
    url.searchParams.set('options', `-c search_path=${schema}`);
    return {
      config: loadConfig({ DATABASE_URL: url.toString(), FLEET_DATA_DIR: tmpdir() }),
      async countRows(table, column, value) {
        const result = await client.query<{ n: number }>(
          `select count(*)::int as n from "${schema}"."${table}" where "${column}" = $1`,
          [value],
        );
        return result.rows[0]!.n;
      },
      async connect() {
        const db = await createPostgresDatabase(url.toString());
        return { db, close: () => db.destroy() };
      },
    };
  };
  return {
    dialect: 'postgres',
    open: async () => opened(await place()),
    fresh: async () => freshDatabase(await place()),
    async cleanup() {
      if (!current) return;
      const { admin, client, database } = current;
      current = undefined;
      await client.end();
      await admin.query(`drop database if exists "${database}" with (force)`);
      await admin.end();
    },
  };
}

/** Stands in for Postgres under CI when no database was given: every test fails saying why. */
function missingPostgresTarget(): StoreTarget {
  return {
    dialect: 'postgres',
    open: () => Promise.reject(new Error(MISSING_POSTGRES)),
    fresh: () => Promise.reject(new Error(MISSING_POSTGRES)),
    cleanup: async () => {},
  };
}

const postgresUrl = process.env.TEST_DATABASE_URL;
const skipPostgres = !postgresUrl && !process.env.CI;
if (skipPostgres) console.warn(`[store tests] Postgres SKIPPED: ${MISSING_POSTGRES}`);

function storeTargets(): StoreTarget[] {
  if (postgresUrl) return [sqliteTarget(), postgresTarget(postgresUrl)];
  return skipPostgres ? [sqliteTarget()] : [sqliteTarget(), missingPostgresTarget()];
}

/**
 * Runs `body` once per dialect; `handle()` is a fresh store for the current test, closed after it;
 * `freshDatabase()` is another, empty database of the same dialect (the test closes it).
 */
export function describeEachStore(
  title: string,
  body: (context: {
    dialect: StoreTarget['dialect'];
    handle: () => StoreHandle;
    freshDatabase: () => Promise<FreshDatabase>;
  }) => void,
): void {
  describe.each(storeTargets())(`${title} [$dialect]`, (target) => {
    let current: StoreHandle | undefined;
    beforeEach(async () => {
      current = await target.open();
    });
    afterEach(async () => {
      await current?.store.close();
      current = undefined;
    });
    afterAll(() => target.cleanup());
    body({
      dialect: target.dialect,
      freshDatabase: () => target.fresh(),
      handle: () => {
        if (!current) throw new Error('no store is open outside a test');
        return current;
      },
    });
  });
  if (skipPostgres) {
    describe.skip(`${title} [postgres]: TEST_DATABASE_URL is not set`, () => {
      it('runs on Postgres', () => {});
    });
  }
}

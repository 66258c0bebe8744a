import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { DatabaseUnreachableError, maskDatabaseUrl } from '../../src/store/database-unreachable-error.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { openStore } from '../../src/store/open-store.js';
import { addTurn, newIdentity } from './fixtures.js';
import { describeEachStore } from './store-targets.js';

async function openError(url: string): Promise<unknown> {
  const config = loadConfig({ DATABASE_URL: url, FLEET_DATA_DIR: tmpdir() });
  return openStore(config).then(
    async (store) => {
      await store.close();
      throw new Error('expected openStore to fail');
    },
    (error: unknown) => error,
  );
}

describeEachStore('openStore', ({ handle, dialect }) => {
  it('runs the migrations once: opening the same database again keeps its data', async () => {
    const { store, reopen } = handle();
    expect(store.dialect).toBe(dialect);
    const identity = newIdentity();
    const session = await store.createSession(identity, { title: 'survives' });
    await addTurn(store, session.id, identity);
    const again = await reopen();
    const third = await reopen();
    try {
      expect(await again.getSession(session.id)).toEqual(await store.getSession(session.id));
      expect((await third.listTurns(session.id)).map((turn) => turn.index)).toEqual([1]);
      const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(
        (again as KyselyStore).db,
      );
      expect(applied.rows.map((row) => row.name)).toEqual([
        '0001-initial',
        '0002-traces',
        '0003-drop-runs',
        '0004-turn-start-seq',
      ]);
    } finally {
      await again.close();
      await third.close();
    }
  });

  it('closes idempotently', async () => {
    const { reopen } = handle();
    const store = await reopen();
    await Promise.all([store.close(), store.close()]);
    await store.close();
    expect(await store.ping()).toBe(false);
  });
});

describe('openStore on SQLite', () => {
  const directories: string[] = [];
  const temporaryDirectory = () => {
    const directory = mkdtempSync(join(tmpdir(), 'fleet-store-'));
    directories.push(directory);
    return directory;
  };
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('creates <dataDir>/fleet-rlm.db with WAL, NORMAL sync, foreign keys and a busy timeout', async () => {
    const dataDir = join(temporaryDirectory(), 'not', 'yet', 'there');
    const store = await openStore(loadConfig({ FLEET_DATA_DIR: dataDir }));
    try {
      expect(store.dialect).toBe('sqlite');
      expect(existsSync(join(dataDir, 'fleet-rlm.db'))).toBe(true);
      const db = (store as KyselyStore).db;
      const pragma = async (name: string) =>
        Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(db)).rows[0]!)[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(1);
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('uses sqlitePath when given', async () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'elsewhere', 'custom.db');
    const store = await openStore(loadConfig({ FLEET_DATA_DIR: join(directory, 'data') }), {
      sqlitePath: path,
    });
    await store.close();
    expect(existsSync(path)).toBe(true);
    expect(existsSync(join(directory, 'data', 'fleet-rlm.db'))).toBe(false);
  });
});

describe('openStore on an unreachable Postgres', () => {
  it('names the URL with the password masked, and what to check', async () => {
    const error = await openError('postgres://fleet:s3cret-pw@127.0.0.1:1/fleet');
    expect(DatabaseUnreachableError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('postgres://fleet:***@127.0.0.1:1/fleet');
    expect(message).not.toContain('s3cret-pw');
    expect(message).toContain('ECONNREFUSED');
    expect(message).toMatch(/server is running.*host and port/);
    expect((error as DatabaseUnreachableError).url).toBe('postgres://fleet:***@127.0.0.1:1/fleet');
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)('says to create a database that does not exist', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = '/fleet_no_such_database';
    const error = await openError(url.toString());
    expect(DatabaseUnreachableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/fleet_no_such_database.*does not exist.*create the database/s);
  });

  it('masks passwords in the user info and the query', () => {
    expect(maskDatabaseUrl('postgres://u:p%40ss@db.example:5432/app?sslmode=require&password=x')).toBe(
      'postgres://u:***@db.example:5432/app?sslmode=require&password=***',
    );
    expect(maskDatabaseUrl('postgres://u@db.example/app')).toBe('postgres://u@db.example/app');
  });
});

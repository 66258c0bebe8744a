/**
 * The SQLite connection Kysely uses keeps its prepared statements: a query shape is prepared
 * once however often it runs, the least recently used shape goes when the cache is full, and
 * cached statements keep working across schema changes and after an error.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSqliteDatabase, type SqliteDatabase } from '../../src/store/sqlite-database.js';

let opened: SqliteDatabase | undefined;
afterEach(async () => {
  await opened?.db.destroy();
  opened = undefined;
});

function open() {
  opened = createSqliteDatabase(':memory:');
  const prepare = vi.spyOn(opened.raw, 'prepare');
  return { db: opened.db, prepare };
}

describe('SQLite statement cache', () => {
  it('prepares a query shape once however often it runs', async () => {
    const { db, prepare } = open();
    await sql`create table t (id integer primary key, name text)`.execute(db);
    for (let i = 0; i < 50; i++) {
      await sql`insert into t (name) values (${`n${i}`})`.execute(db);
      const row = await sql<{ name: string }>`select name from t where id = ${i + 1}`.execute(db);
      expect(row.rows).toEqual([{ name: `n${i}` }]);
    }
    const texts = prepare.mock.calls.map(([text]) => text);
    expect(texts.filter((text) => text.startsWith('insert'))).toHaveLength(1);
    expect(texts.filter((text) => text.startsWith('select'))).toHaveLength(1);
  });

  it('keeps the 256 most recently used shapes', async () => {
    const { db, prepare } = open();
    const shape = (n: number) => sql`select ${sql.lit(n)} as n`.execute(db);
    for (let n = 0; n <= 256; n++) await shape(n); // 257 shapes: shape 0 is evicted
    prepare.mockClear();
    await shape(256);
    expect(prepare).not.toHaveBeenCalled();
    const evicted = await shape(0);
    expect(evicted.rows).toEqual([{ n: 0 }]);
    expect(prepare).toHaveBeenCalledTimes(1);
  });

  it('keeps working across a schema change and after a failed statement', async () => {
    const { db } = open();
    await sql`create table t (id integer primary key)`.execute(db);
    await sql`insert into t (id) values (${1})`.execute(db);
    await expect(sql`insert into t (id) values (${1})`.execute(db)).rejects.toThrow(/UNIQUE/);
    await sql`alter table t add column name text`.execute(db);
    await sql`insert into t (id) values (${2})`.execute(db);
    const rows = await sql<{ id: number; name: string | null }>`select * from t order by id`.execute(db);
    expect(rows.rows).toEqual([
      { id: 1, name: null },
      { id: 2, name: null },
    ]);
  });
});

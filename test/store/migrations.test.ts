/**
 * Schema migrations on databases made by an older release: each test builds the old schema with
 * that schema's own migrations (never a `down`), fills it the way the old server did, then opens
 * the store on it and checks what the upgrade kept and what it removed.
 */
import { type Kysely, Migrator, sql } from 'kysely';
import { expect, it } from 'vitest';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { storeMigrations } from '../../src/store/migrations/migrate.js';
import type { Database, StoreDialect } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { describeEachStore } from './store-targets.js';

/** Applies the store's migrations up to and including `last`, as the release that ended there did. */
async function migrateTo(db: Kysely<Database>, dialect: StoreDialect, last: string): Promise<void> {
  const schema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]!.schema
      : undefined;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => storeMigrations(dialect) },
    migrationTableSchema: schema,
  });
  const { error } = await migrator.migrateTo(last);
  expect(error).toBeUndefined();
}

async function hasTable(db: Kysely<Database>, table: string): Promise<boolean> {
  return sql`select 1 from ${sql.table(table)} where 1 = 0`.execute(db).then(
    () => true,
    () => false,
  );
}

async function appliedMigrations(store: Store): Promise<string[]> {
  const db = (store as unknown as KyselyStore).db;
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((row) => row.name);
}

const usage = { input_tokens: 10, output_tokens: 5, total_tokens: 15, cost_usd: 0.5 };

/** What the 0002 server wrote for one finished turn: its session, turn, runs, steps and frames. */
async function fillRelease0002(db: Kysely<Database>) {
  const ids = { workspace: 'ws-old', user: 'u-old', session: 'session-old', turn: 'turn-old' };
  await db.insertInto('workspaces').values({ id: ids.workspace, created_at: 1 }).execute();
  await db.insertInto('users').values({ workspace_id: ids.workspace, id: ids.user, created_at: 1 }).execute();
  await db
    .insertInto('sessions')
    .values({
      id: ids.session,
      workspace_id: ids.workspace,
      user_id: ids.user,
      title: 'made before 0003',
      status: 'active',
      created_at: 10,
      updated_at: 20,
      archived_at: null,
      active_document_id: null,
      core_memory: JSON.stringify({ persona: '', human: '', scratchpad: '' }),
      history_summary: '',
      summarized_through: 0,
    })
    .execute();
  await db
    .insertInto('turns')
    .values({
      id: ids.turn,
      session_id: ids.session,
      workspace_id: ids.workspace,
      user_id: ids.user,
      turn_index: 1,
      client_message_id: 'm1',
      user_message: 'hello',
      assistant_message: 'hi',
      execution_mode: 'auto',
      status: 'completed',
      error: null,
      started_at: 20,
      finished_at: 25,
      duration_ms: 5,
      ...usage,
      trace_id: 'tr-0123456789abcdef0123456789abcdef',
    })
    .execute();
  // The `runs` table is gone from the current schema type: written the way 0002's code did.
  const untyped = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  for (const [id, parent] of [
    ['run-root', null],
    ['run-child', 'run-root'],
  ] as const) {
    await untyped
      .insertInto('runs')
      .values({
        id,
        turn_id: ids.turn,
        session_id: ids.session,
        parent_run_id: parent,
        depth: parent ? 1 : 0,
        kind: parent ? 'rlm' : 'agent',
        model: 'openai/m',
        question: 'q',
        status: 'completed',
        termination_reason: null,
        started_at: 21,
        finished_at: 24,
        ...usage,
      })
      .execute();
  }
  const steps = ['turn-old:s1', 'turn-old:s2'].map((id, index) => ({
    id,
    session_id: ids.session,
    turn_id: ids.turn,
    run_id: 'run-root',
    parent_id: index === 0 ? 'turn-old:root' : 'turn-old:s1',
    type: index === 0 ? 'llm' : 'tool',
    label: index === 0 ? 'agent step 1' : 'run_python',
    depth: 0,
    actor_kind: 'agent',
    actor_id: 'turn-old',
    lane_key: 'agent:depth-0',
    input: JSON.stringify({ code: 'print(1)' }),
    output: null,
    timestamp_ms: 22 + index,
  }));
  await db.insertInto('execution_steps').values(steps).execute();
  await db
    .insertInto('events')
    .values({
      session_id: ids.session,
      stream: 'chat',
      seq: 1,
      turn_id: ids.turn,
      frame: JSON.stringify({ type: 'event', data: { seq: 1 } }),
      created_at: 22,
    })
    .execute();
  return ids;
}

describeEachStore('store migrations', ({ dialect, freshDatabase }) => {
  it('brings a database made at 0002 up to date: the runs table dropped, every other row kept', async () => {
    const old = await freshDatabase();
    const opened: Store[] = [];
    try {
      await migrateTo(old.db, dialect, '0002-traces');
      const ids = await fillRelease0002(old.db);
      expect(await old.countRows('runs', 'turn_id', ids.turn)).toBe(2);
      await old.close();

      const store = await old.openStore();
      opened.push(store);
      const db = (store as unknown as KyselyStore).db;
      expect(await hasTable(db, 'runs')).toBe(false);
      const latest = Object.keys(storeMigrations(dialect)).sort();
      expect(latest).toContain('0003-drop-runs');
      expect(await appliedMigrations(store)).toEqual(latest);

      expect(await store.getSession(ids.session)).toMatchObject({ title: 'made before 0003', updatedAt: 20 });
      expect(await store.getTurn(ids.turn)).toMatchObject({
        index: 1,
        status: 'completed',
        assistantMessage: 'hi',
        durationMs: 5,
        usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15, costUsd: 0.5 },
        traceId: 'tr-0123456789abcdef0123456789abcdef',
        // 0004: where its chat stream began was not recorded then.
        chatStartSeq: null,
      });
      expect(latest).toContain('0004-turn-start-seq');
      expect(await store.listSteps(ids.turn)).toEqual([
        expect.objectContaining({
          id: 'turn-old:s1',
          parentId: 'turn-old:root',
          input: { code: 'print(1)' },
        }),
        expect.objectContaining({ id: 'turn-old:s2', parentId: 'turn-old:s1', output: undefined }),
      ]);
      expect(await store.readEvents(ids.session, 'chat', 0, 10)).toHaveLength(1);

      // A second open applies nothing, and the purge still takes everything the session owned.
      const again = await old.openStore();
      opened.push(again);
      expect(await appliedMigrations(again)).toEqual(latest);
      await again.archiveSession(ids.session, 100);
      expect(await again.purgeArchivedSessions(200)).toBe(1);
      expect(await old.countRows('turns', 'session_id', ids.session)).toBe(0);
      expect(await old.countRows('execution_steps', 'session_id', ids.session)).toBe(0);
    } finally {
      for (const store of opened) await store.close();
      await old.close();
    }
  });
});

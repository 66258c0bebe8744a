import { type Kysely, Migrator, sql } from 'kysely';
import { expect, it } from 'vitest';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { InvalidCursorError } from '../../src/store/list-cursor.js';
import { storeMigrations } from '../../src/store/migrations/migrate.js';
import type { Database } from '../../src/store/schema.js';
import type { SpanRow, Store, TraceRow } from '../../src/store/store.js';
import { addTurn, newSpanId, newTraceId, sessionWithTurn, span, trace } from './fixtures.js';
import { describeEachStore } from './store-targets.js';

const usage = { inputTokens: 1200, outputTokens: 345, totalTokens: 1545, costUsd: 0.012345 };

/** Whether `table` exists, asked with a query that reads no rows. */
async function hasTable(db: Kysely<Database>, table: string): Promise<boolean> {
  return sql`select 1 from ${sql.table(table)} where 1 = 0`.execute(db).then(
    () => true,
    () => false,
  );
}

describeEachStore('store traces and spans', ({ handle, dialect }) => {
  it('keeps spans that arrive before their trace row, and lists them once it exists', async () => {
    const { store, countRows } = handle();
    const { turn } = await sessionWithTurn(store);
    const traceId = newTraceId();
    const rootId = newSpanId();
    // Children end (and are exported) first; the root and the trace row come last.
    const child = span(traceId, { parentSpanId: rootId, startUs: 2_000, endUs: 3_000 });
    await store.writeSpans([child]);
    expect(await store.getTrace(traceId)).toBeUndefined();
    expect(await store.listSpans(traceId)).toEqual([child]);

    const root = span(traceId, {
      spanId: rootId,
      name: 'turn',
      spanType: 'AGENT',
      startUs: 1_000,
      endUs: 9_000,
    });
    const summary = trace(turn, traceId, { spanCount: 2, usage });
    await store.writeSpans([root], [summary]);
    expect(await store.getTrace(traceId)).toEqual(summary);
    expect(await store.listSpans(traceId)).toEqual([root, child]);
    expect(await countRows('spans', 'trace_id', traceId)).toBe(2);
    expect(await store.getTrace(newTraceId())).toBeUndefined();
    expect(await store.listSpans(newTraceId())).toEqual([]);
    await store.writeSpans([]);
  });

  it('writes a batch and its trace summaries in one transaction: all or nothing', async () => {
    const { store, countRows } = handle();
    const { turn } = await sessionWithTurn(store);
    const traceId = newTraceId();
    const orphan = { ...trace(turn, newTraceId()), sessionId: 'no-such-session' };
    await expect(store.writeSpans([span(traceId), span(traceId)], [orphan])).rejects.toThrow();
    expect(await countRows('spans', 'trace_id', traceId)).toBe(0);
    expect(await store.getTrace(orphan.traceId)).toBeUndefined();
    await store.writeSpans([span(traceId)], [trace(turn, traceId)]);
    expect(await countRows('spans', 'trace_id', traceId)).toBe(1);
    expect(await store.getTrace(traceId)).toMatchObject({ traceId, sessionId: turn.sessionId });
  });

  it('keeps the first of a span seen twice, across batches and within one', async () => {
    const { store, countRows } = handle();
    const traceId = newTraceId();
    const first = span(traceId, { name: 'first', startUs: 1 });
    await store.writeSpans([first]);
    const fresh = span(traceId, { name: 'fresh', startUs: 2 });
    // A retried batch: the stored span stays as it was, the new one in the batch is added.
    await store.writeSpans([{ ...first, name: 'retried', status: 'ERROR' }, fresh]);
    const twice = span(traceId, { name: 'twice, first copy', startUs: 3 });
    await store.writeSpans([twice, { ...twice, name: 'twice, second copy' }]);
    expect((await store.listSpans(traceId)).map((row) => row.name)).toEqual([
      'first',
      'fresh',
      'twice, first copy',
    ]);
    expect(await countRows('spans', 'trace_id', traceId)).toBe(3);
  });

  it('appends a batch larger than one INSERT in one call', async () => {
    const { store, countRows } = handle();
    const traceId = newTraceId();
    const many = Array.from({ length: 1_234 }, (_, index) =>
      span(traceId, { spanId: index.toString(16).padStart(16, '0'), startUs: 1_000 + index }),
    );
    await store.writeSpans(many);
    expect(await countRows('spans', 'trace_id', traceId)).toBe(1_234);
    expect(await store.listSpans(traceId)).toEqual(many);
  });

  it('replaces a trace on upsert, every field', async () => {
    const { store, countRows } = handle();
    const { turn } = await sessionWithTurn(store);
    const other = await sessionWithTurn(store);
    const traceId = newTraceId();
    await store.writeSpans(
      [],
      [trace(turn, traceId, { status: 'IN_PROGRESS', durationMs: null, responsePreview: '', spanCount: 0 })],
    );
    expect(await store.getTrace(traceId)).toMatchObject({ status: 'IN_PROGRESS', durationMs: null });
    const replaced: TraceRow = {
      traceId,
      sessionId: other.session.id,
      turnId: null,
      workspaceId: other.identity.workspaceId,
      userId: other.identity.userId,
      name: 'renamed',
      status: 'ERROR',
      startedAt: 1_800_000_000_000,
      durationMs: 42,
      requestPreview: 'request — ✓',
      responsePreview: 'failed: 💥',
      usage,
      spanCount: 17,
    };
    await store.writeSpans([], [replaced]);
    expect(await store.getTrace(traceId)).toEqual(replaced);
    expect(await countRows('traces', 'trace_id', traceId)).toBe(1);
    expect((await store.listTraces(turn.sessionId, { limit: 10 })).items).toEqual([]);
    expect((await store.listTraces(other.session.id, { limit: 10 })).items).toEqual([replaced]);
  });

  it('lists a session’s traces newest first across pages with a cursor', async () => {
    const { store } = handle();
    const { turn } = await sessionWithTurn(store);
    const elsewhere = await sessionWithTurn(store);
    const created: TraceRow[] = [];
    for (let index = 0; index < 7; index++) {
      // Two pairs share a start time, so trace_id has to break the tie.
      const row = trace(turn, newTraceId(), { startedAt: 1_700_000_000_000 + Math.floor(index / 2) });
      await store.writeSpans([], [row]);
      created.push(row);
    }
    await store.writeSpans([], [trace(elsewhere.turn, newTraceId(), { startedAt: 1_700_000_000_001 })]);

    const seen: TraceRow[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await store.listTraces(turn.sessionId, { limit: 3, cursor });
      seen.push(...result.items);
      if (result.nextCursor === null) break;
      expect(result.items).toHaveLength(3);
      cursor = result.nextCursor;
    }
    const expected = [...created].sort(
      (a, b) => b.startedAt - a.startedAt || (a.traceId < b.traceId ? 1 : a.traceId > b.traceId ? -1 : 0),
    );
    expect(seen).toEqual(expected);

    const exact = await store.listTraces(turn.sessionId, { limit: 7 });
    expect(exact.items).toEqual(expected);
    expect(exact.nextCursor).toBeNull();
    expect(await store.listTraces('no-such-session', { limit: 5 })).toEqual({ items: [], nextCursor: null });
    await expect(
      store.listTraces(turn.sessionId, { limit: 3, cursor: 'not a cursor' }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.listTraces(turn.sessionId, { limit: 0 })).rejects.toBeInstanceOf(RangeError);
  });

  it('lists the spans of one trace by start time, then span id', async () => {
    const { store } = handle();
    const traceId = newTraceId();
    const at = (startUs: number, spanId: string) => span(traceId, { spanId, startUs, endUs: startUs + 10 });
    const spans = [at(300, 'b'), at(100, 'z'), at(200, 'c'), at(200, 'a'), at(1_700_000_000_000_123, 'y')];
    await store.writeSpans(spans.slice(0, 2));
    await store.writeSpans(spans.slice(2));
    await store.writeSpans([span(newTraceId(), { startUs: 150 })]);
    expect((await store.listSpans(traceId)).map((row) => [row.startUs, row.spanId])).toEqual([
      [100, 'z'],
      [200, 'a'],
      [200, 'c'],
      [300, 'b'],
      [1_700_000_000_000_123, 'y'],
    ]);
  });

  it('round-trips span attributes and events exactly', async () => {
    const { store } = handle();
    const traceId = newTraceId();
    const attributes: SpanRow['attributes'] = {
      'mlflow.spanInputs': {
        messages: [{ role: 'user', content: 'Привет, 世界! 👋🏽 — “quotes” \\ and \n newlines' }],
      },
      'mlflow.chat.tokenUsage': { input_tokens: 1200, output_tokens: 0, total_tokens: 1200 },
      numbers: [
        0,
        -1,
        0.1,
        1e-7,
        Math.PI,
        Number.MIN_VALUE,
        Number.MAX_VALUE,
        0.1 + 0.2,
        1e21,
        Number.MAX_SAFE_INTEGER,
        -Number.MAX_SAFE_INTEGER,
      ],
      nested: {
        deeper: { deepest: [[], {}, [null, true, false, ''], { 'key with spaces & ünïcödé': '🧪' }] },
      },
      'nul and surrogates': 'a\u0000b \ud83d\ude00 lone \ud800 end',
      zwj: '👩‍👩‍👧‍👦',
      empty: '',
    };
    const events: SpanRow['events'] = [
      {
        name: 'exception',
        timeUs: 1_700_000_000_000_001,
        attributes: { 'exception.type': 'Error', 'exception.message': 'boom 💥', stack: ['a', 'b'] },
      },
      { name: 'empty', timeUs: 2, attributes: {} },
    ];
    const written = span(traceId, { attributes, events, status: 'ERROR', statusMessage: 'échec ❌' });
    await store.writeSpans([written]);
    const [read] = await store.listSpans(traceId);
    expect(read).toEqual(written);
    // Exactly, key order included: the stored text is JSON.stringify's own output.
    expect(JSON.stringify(read)).toBe(JSON.stringify(written));
  });

  it('records a turn’s trace id when it finishes, and none when it has no trace', async () => {
    const { store } = handle();
    const { session, turn } = await sessionWithTurn(store);
    const traceId = newTraceId();
    await store.finishTurn(turn.id, {
      status: 'completed',
      assistantMessage: '42',
      finishedAt: turn.startedAt + 5,
      usage,
      traceId,
    });
    expect(await store.getTurn(turn.id)).toMatchObject({ status: 'completed', traceId, usage });
    // Untraced (TRACING_ENABLED=false), or closed after a crash: no trace id.
    const untraced = await addTurn(store, session.id, { workspaceId: turn.workspaceId, userId: turn.userId });
    await store.finishTurn(untraced.id, { status: 'error', error: 'server_restarted', finishedAt: 9, usage });
    expect((await store.getTurn(untraced.id))?.traceId).toBeNull();
  });

  it('adds the trace tables to a database made before them, once', async () => {
    const { store, reopen } = handle();
    const db = (store as unknown as KyselyStore).db;
    // Make this database what 0001 alone left behind: 0002's down, run by Kysely's migrator.
    const schema =
      dialect === 'postgres'
        ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]!.schema
        : undefined;
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => storeMigrations(dialect) },
      migrationTableSchema: schema,
    });
    const { error } = await migrator.migrateTo('0001-initial');
    expect(error).toBeUndefined();
    expect(await hasTable(db, 'traces')).toBe(false);
    expect(await hasTable(db, 'spans')).toBe(false);
    const { session, turn } = await sessionWithTurn(store);

    const upgraded = await reopen();
    const again = await reopen();
    try {
      const applied = async (target: Store) =>
        (
          await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
            (target as unknown as KyselyStore).db,
          )
        ).rows.map((row) => row.name);
      const all = Object.keys(storeMigrations(dialect));
      expect(await applied(upgraded)).toEqual(all);
      expect(await applied(again)).toEqual(all);
      expect(await hasTable(db, 'traces')).toBe(true);
      expect(await hasTable(db, 'spans')).toBe(true);
      expect(await upgraded.getSession(session.id)).toEqual(await store.getSession(session.id));

      const traceId = newTraceId();
      await upgraded.writeSpans([span(traceId)], [trace(turn, traceId)]);
      expect((await again.listTraces(session.id, { limit: 5 })).items.map((row) => row.traceId)).toEqual([
        traceId,
      ]);
      expect(await again.listSpans(traceId)).toHaveLength(1);
    } finally {
      await upgraded.close();
      await again.close();
    }
  });
});

/**
 * The server's lifecycle: turns a crash left running are closed at the next start, shutdown
 * drains (running turns end with `cancelled`), frames and steps are durable as they happen,
 * and the same full turn works on Postgres.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestDatabase, requirePostgres } from '../support/postgres-database.js';
import {
  api,
  asKind,
  PLANNER,
  RecordingSocket,
  script,
  startHarness,
  waitFor,
} from '../support/server-harness.js';

const identity = { workspaceId: 'default', userId: 'anonymous' };

describe('server lifecycle', () => {
  it('closes turns left running by a crash with an error frame at the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fleet-crash-'));
    const store = await openStore(loadConfig({ FLEET_DATA_DIR: dataDir }));
    await store.ensureIdentity(identity);
    const session = await store.createSession(identity);
    const turn = await store.createTurn({
      id: 'crashed-turn',
      sessionId: session.id,
      identity,
      userMessage: 'hi',
      executionMode: 'auto',
      startedAt: Date.now(),
    });
    await store.close();
    const harness = await startHarness({ FLEET_DATA_DIR: dataDir });
    try {
      const turns = await api(harness, 'GET', `/api/v1/sessions/${session.id}/turns`);
      expect(turns.body!.items[0]).toMatchObject({ id: turn.id, status: 'error', error: 'server_restarted' });
      const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
      socket.send({ type: 'resume', session_id: session.id, since_seq: 0 });
      await socket.untilTerminal();
      expect(socket.events()).toEqual([
        expect.objectContaining({
          seq: 1,
          kind: 'error',
          turn_id: turn.id,
          payload: {
            code: 'server_restarted',
            trace_id: null,
            duration_ms: expect.any(Number),
            runtime: expect.objectContaining({ depth: 0, execution_mode: 'auto', sandbox_active: false }),
          },
        }),
      ]);
      await socket.close();
    } finally {
      await harness.close();
    }
  });

  it('writes frames and steps as they happen, and drains on shutdown with a cancelled frame', async () => {
    const harness = await startHarness();
    const sessionId = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
    script(harness, [
      {
        model: PLANNER,
        times: 1,
        reply: { text: 'Working.', toolCalls: [{ name: 'run_python', args: { code: 'print("step one")' } }] },
      },
      { model: PLANNER, reply: { hang: true } },
    ]);
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'message', content: 'go', session_id: sessionId });
    await socket.until(() => socket.events().some((event) => event.kind === 'tool_result'));
    await waitFor(() => harness.lm.requests.length === 2); // now waiting on the hung call
    const { store } = harness.server;
    const turnId = socket.events()[0]!.turn_id!;
    const persisted = await store.readEvents(sessionId, 'chat', 0, 1000);
    expect(persisted.map((row) => row.seq)).toEqual(socket.events().map((event) => event.seq));
    const steps = await store.listSteps(turnId);
    expect(steps.map((step) => step.label)).toEqual(
      expect.arrayContaining(['agent step 1', 'run_python', 'run_python result']),
    );
    await harness.server.close();
    await socket.until(() => socket.closed !== undefined);
    expect(socket.events().at(-1)).toMatchObject({
      kind: 'cancelled',
      payload: { reason: 'server_shutdown' },
    });
    const reopened = await openStore(loadConfig({ FLEET_DATA_DIR: harness.dataDir }));
    expect((await reopened.getTurn(turnId))?.status).toBe('cancelled');
    await reopened.close();
    await harness.lm.close();
  });

  it.runIf(requirePostgres())('runs a full turn on Postgres', async () => {
    const database = await createTestDatabase();
    const harness = await startHarness({ DATABASE_URL: database.url });
    try {
      const sessionId = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
      script(harness, [{ model: PLANNER, reply: 'Answer from Postgres.' }]);
      const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
      socket.send({ type: 'message', content: 'hi', session_id: sessionId });
      await socket.untilTerminal();
      expect(socket.events().at(-1)).toMatchObject({ kind: 'final', text: 'Answer from Postgres.' });
      await socket.close();
      expect(harness.server.context.store.dialect).toBe('postgres');
      const turns = await api(harness, 'GET', `/api/v1/sessions/${sessionId}/turns`);
      expect(turns.body!.items[0]).toMatchObject({
        status: 'completed',
        assistant_message: 'Answer from Postgres.',
      });
      expect((await api(harness, 'GET', '/ready')).body).toMatchObject({ ready: true, database: 'ready' });
      // The turn's trace lands in the Postgres trace store too, with its tree.
      const traceId = asKind(socket.events().at(-1), 'final').payload.trace_id as string;
      await harness.server.flushTraces();
      const trace = await api(harness, 'GET', `/api/v1/traces/${traceId}`);
      expect(trace.body!.trace).toMatchObject({ trace_id: traceId, session_id: sessionId, source: 'local' });
      expect(trace.body!.spans[0].name).toBe('FleetAgent.respond');
      expect(trace.body!.span_count).toBeGreaterThanOrEqual(3);
      const listed = await api(harness, 'GET', `/api/v1/sessions/${sessionId}/traces`);
      expect(listed.body!.items.map((item: { trace_id: string }) => item.trace_id)).toEqual([traceId]);
    } finally {
      await harness.close();
      await database.drop();
    }
  });
});

describe('server settings', () => {
  it('refuses to start outside APP_ENV=local with local-only shortcuts', async () => {
    await expect(startHarness({ APP_ENV: 'production' })).rejects.toThrow(
      /AUTH_REQUIRED must be true outside APP_ENV=local/,
    );
  });

  it('answers CORS preflights for the configured origins only', async () => {
    const harness = await startHarness({ CORS_ALLOWED_ORIGINS: 'https://app.example' });
    try {
      const preflight = (origin: string) =>
        fetch(`${harness.url}/api/v1/sessions`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
      expect((await preflight('https://app.example')).headers.get('access-control-allow-origin')).toBe(
        'https://app.example',
      );
      expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await harness.close();
    }
  });
});

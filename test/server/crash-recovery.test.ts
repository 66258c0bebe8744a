/**
 * A crash mid-turn, as it happens: the server process is killed (SIGKILL) while its turn waits
 * on the model, and the next server on the same data (SQLite directory, or Postgres database)
 * closes the turn on both streams. An events-only viewer — the Workbench's execution panel,
 * which never opens the chat socket — must see the turn end, or it waits forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requirePostgres } from '../support/postgres-database.js';
import { ScriptedLmServer } from '../support/scripted-lm-server.js';
import { PLANNER, RecordingSocket, waitFor } from '../support/server-harness.js';
import { serverEnv, spawnServer } from '../support/spawned-server.js';

let lm: ScriptedLmServer;

beforeAll(async () => {
  lm = await ScriptedLmServer.start();
});
afterAll(async () => {
  await lm?.close();
});

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Record<string, unknown>;
}

async function crashMidTurnThenRestart(extraEnv: Record<string, string>): Promise<void> {
  lm.script([{ model: PLANNER, reply: { hang: true } }]);
  const requestsBefore = lm.requests.length;
  const env = serverEnv(lm.baseUrl, extraEnv);
  const first = await spawnServer(env);
  let second: Awaited<ReturnType<typeof spawnServer>> | undefined;
  try {
    const sessionId = (await postJson(`${first.url}/api/v1/sessions`, {})).id as string;
    const chat = await RecordingSocket.open(`${first.wsUrl}/api/v1/ws/execution`);
    chat.send({ type: 'message', content: 'think hard', session_id: sessionId });
    // The turn started (its first frame was written before it was sent) and waits on the model.
    await chat.until(() => chat.events().some((event) => event.kind === 'status'));
    await waitFor(() => lm.requests.length > requestsBefore);
    const turnId = chat.events()[0]!.turn_id!;
    await first.kill();
    await chat.until(() => chat.closed !== undefined);

    second = await spawnServer(env);
    const viewer = await RecordingSocket.open(
      `${second.wsUrl}/api/v1/ws/execution/events?session_id=${sessionId}&since_seq=0`,
    );
    await viewer.until(() => viewer.passive().some((frame) => frame.type === 'execution_completed'), 15_000);
    const types = viewer.passive().map((frame) => frame.type);
    expect(types[0]).toBe('execution_started');
    expect(types.filter((type) => type === 'execution_completed')).toHaveLength(1);
    expect(viewer.passive().at(-1)).toMatchObject({
      run_id: turnId,
      step: null,
      summary: { run_id: turnId, status: 'error', final_artifact: null },
    });
    // The chat stream says the same, once.
    const resumed = await RecordingSocket.open(`${second.wsUrl}/api/v1/ws/execution`);
    resumed.send({ type: 'resume', session_id: sessionId, since_seq: 0 });
    await resumed.untilTerminal();
    expect(resumed.events().filter((event) => event.kind === 'error')).toEqual([
      expect.objectContaining({
        turn_id: turnId,
        payload: expect.objectContaining({ code: 'server_restarted' }),
      }),
    ]);
    await viewer.close();
    await resumed.close();
  } finally {
    await first.kill();
    await second?.kill();
  }
}

describe('a server killed mid-turn', () => {
  it('ends the turn on the events stream too at the next start (SQLite)', async () => {
    await crashMidTurnThenRestart({});
  }, 90_000);

  it.runIf(requirePostgres())(
    'ends the turn on the events stream too at the next start (Postgres)',
    async () => {
      const database = await createTestDatabase();
      try {
        await crashMidTurnThenRestart({ DATABASE_URL: database.url });
      } finally {
        await database.drop();
      }
    },
    90_000,
  );
});

/**
 * A deploy stops the server: SIGTERM to a running `fleet-rlm serve` with a turn in progress.
 * During the grace period the server must tell probes and clients the truth — `/ready` 503
 * with the reason (so the load balancer stops sending), new sessions, turns and sockets refused
 * with `server_shutting_down` — while the running turn is given its time, then cancelled; the
 * sockets end with 1001 (going away) and a reason, so clients know to reconnect elsewhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLmServer } from '../support/scripted-lm-server.js';
import { PLANNER, RecordingSocket, waitFor } from '../support/server-harness.js';
import { type SpawnedServer, serverEnv, spawnServer } from '../support/spawned-server.js';

const GOING_AWAY = 1001;

let lm: ScriptedLmServer;
let server: SpawnedServer | undefined;

beforeAll(async () => {
  lm = await ScriptedLmServer.start();
});
afterAll(async () => {
  await server?.kill();
  await lm?.close();
});

async function http(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server!.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('SIGTERM with a turn running', () => {
  it('says not ready, refuses new work, then cancels the turn and closes sockets with 1001', async () => {
    lm.script([{ model: PLANNER, reply: { hang: true } }]);
    server = await spawnServer(serverEnv(lm.baseUrl));
    const sessionId = (await http('POST', '/api/v1/sessions', {})).body.id as string;
    expect((await http('GET', '/ready')).status).toBe(200);
    const chat = await RecordingSocket.open(`${server.wsUrl}/api/v1/ws/execution`);
    const events = await RecordingSocket.open(
      `${server.wsUrl}/api/v1/ws/execution/events?session_id=${sessionId}&since_seq=0`,
    );
    chat.send({ type: 'message', content: 'think hard', session_id: sessionId });
    await chat.until(() => chat.events().some((event) => event.kind === 'status'));
    await waitFor(() => lm.requests.length > 0);

    server.child.kill('SIGTERM');
    await waitFor(() => server!.stderr().includes('SIGTERM: draining'));

    // The grace period: the turn still runs, and everything says the server is going.
    const ready = await http('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ ready: false, draining: true });
    expect(ready.body.reasons).toEqual([expect.stringMatching(/shutting down/)]);
    const created = await http('POST', '/api/v1/sessions', {});
    expect(created.status).toBe(503);
    expect(created.body).toMatchObject({ code: 'server_shutting_down' });
    chat.send({ type: 'message', content: 'one more', session_id: sessionId });
    await chat.until(() => chat.errors().some((error) => error.code === 'server_shutting_down'));
    await expect(RecordingSocket.open(`${server.wsUrl}/api/v1/ws/execution`)).rejects.toThrow(/HTTP 503/);
    expect(chat.closed).toBeUndefined();

    // After the grace: the turn is cancelled on both streams, then the sockets go away.
    await chat.until(() => chat.closed !== undefined, 30_000);
    await events.until(() => events.closed !== undefined, 30_000);
    expect(chat.events().at(-1)).toMatchObject({ kind: 'cancelled', payload: { reason: 'server_shutdown' } });
    expect(events.passive().at(-1)).toMatchObject({
      type: 'execution_completed',
      summary: { status: 'cancelled' },
    });
    for (const socket of [chat, events]) {
      expect(socket.closed!.code).toBe(GOING_AWAY);
      expect(socket.closed!.reason).toMatch(/shutting down/);
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});

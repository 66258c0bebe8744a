/**
 * Attack: starvation. Twenty people send a message at the same moment, each turn running code in
 * its session's sandbox, with the default pool (Pyodide, four live sandboxes, idle sessions kept
 * for ten minutes). A turn waiting for a sandbox must get the next one a finished session lets
 * go of, not wait for an idle timer: every turn ends within the model's own time plus 30 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Harness, PLANNER, RecordingSocket, script } from '../support/server-harness.js';
import { bearer, lastMessage as last, runPython, securedHarness } from './support/identities.js';

const USERS = 20;

describe('fair sandboxes', () => {
  let harness: Harness;

  beforeAll(async () => {
    // The pool settings are the defaults: only the sandbox provider differs from the harness's.
    harness = await securedHarness({
      SANDBOX_PROVIDER: 'pyodide',
      SANDBOX_WARM_POOL: '1',
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('finishes 20 simultaneous turns from 20 users within 30 s with the default pool', async () => {
    script(harness, [
      { model: PLANNER, match: (request) => last(request).role === 'tool', reply: 'done' },
      {
        model: PLANNER,
        reply: runPython('print(sum(range(10)))'),
      },
    ]);
    const clients = await Promise.all(
      Array.from({ length: USERS }, async (_, index) => {
        const headers = await bearer('acme', `user-${index}`);
        const session = (await api(harness, 'POST', '/api/v1/sessions', {}, headers)).body!.id as string;
        const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, headers);
        return { session, socket };
      }),
    );
    const started = performance.now();
    for (const { socket, session } of clients)
      socket.send({ type: 'message', content: 'sum please', session_id: session });
    const settled = await Promise.allSettled(clients.map(({ socket }) => socket.untilTerminal(1, 30_000)));
    const elapsed = performance.now() - started;
    const unfinished = settled.filter((outcome) => outcome.status === 'rejected').length;
    expect(unfinished, `${unfinished} of ${USERS} turns had no terminal frame after 30 s`).toBe(0);
    for (const { socket } of clients) {
      expect(socket.events().at(-1)!.kind).toBe('final');
      const result = socket.events().find((event) => event.kind === 'tool_result');
      expect(result?.payload.output).toBe('45');
    }
    expect(elapsed).toBeLessThan(30_000);
    await Promise.all(clients.map(({ socket }) => socket.close()));
  }, 90_000);
});

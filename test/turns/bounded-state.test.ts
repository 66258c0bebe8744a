/**
 * Long-lived servers must not grow with the number of sessions they have seen: after 1,000
 * sessions with a turn each (some of them re-sent, so they attach), the turn runner keeps no
 * per-turn state, the emitter at most its bounded set of stream counters, and the bus no
 * listeners. Sessions whose counters were dropped still continue their seq where it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FOLLOWED } from '../../src/server/ws/execution-socket.js';
import {
  api,
  type Harness,
  PLANNER,
  RecordingSocket,
  script,
  startHarness,
} from '../support/server-harness.js';

const SESSIONS = 1000;
const PARALLEL = 8;
const MAX_IDLE_STREAMS = 1024;
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ USER_MAX_CONCURRENT_TURNS: String(PARALLEL) });
});
afterAll(async () => {
  await harness?.close();
});

describe('state bounded over sessions', () => {
  it('keeps the runner, the emitter and the bus bounded after 1,000 sessions', async () => {
    script(harness, [{ model: PLANNER, reply: 'ok' }]);
    const sessions: string[] = [];
    const lanes = Array.from({ length: PARALLEL }, async () => {
      const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
      let done = 0;
      while (sessions.length < SESSIONS) {
        const index = sessions.length;
        sessions.push('');
        socket.send({ type: 'message', content: `hello ${index}`, client_message_id: `m-${index}` });
        await socket.untilTerminal(++done, 30_000);
        sessions[index] = socket.events().at(-1)!.session_id;
      }
      return socket;
    });
    const sockets = await Promise.all(lanes);
    const { context } = harness.server;
    const listeners = () => (context.bus as unknown as { listeners: Map<string, unknown> }).listeners.size;
    // Each socket sent to ~125 sessions but follows at most MAX_FOLLOWED of them.
    expect(listeners()).toBeLessThanOrEqual(PARALLEL * MAX_FOLLOWED);
    await Promise.all(sockets.map((socket) => socket.close()));
    expect(sessions.filter(Boolean)).toHaveLength(SESSIONS);
    expect(context.runner.activeTurns).toBe(0);
    expect(context.emitter.stats().streams).toBeLessThanOrEqual(MAX_IDLE_STREAMS);
    expect(context.emitter.stats().emitted).toBeGreaterThan(SESSIONS * 4);

    // The first session's counters were dropped long ago: a re-sent message attaches to its
    // turn from the turn's first frame, and a new turn continues the seq without a gap.
    const first = sessions[0]!;
    const again = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    again.send({ type: 'message', content: 'hello 0', session_id: first, client_message_id: 'm-0' });
    await again.untilTerminal(1);
    const replayed = again.events();
    expect(replayed[0]!.seq).toBe(1);
    expect(replayed.at(-1)!.text).toBe('ok');
    again.send({ type: 'message', content: 'more', session_id: first });
    await again.untilTerminal(2);
    const seqs = again.events().map((event) => event.seq);
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    await again.close();

    const turns = await api(harness, 'GET', `/api/v1/sessions/${first}/turns`);
    expect(turns.body!.items).toHaveLength(2);
    // Every socket is closed: no listener is left on the bus.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(listeners()).toBe(0);
  }, 240_000);
});

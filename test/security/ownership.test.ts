/**
 * Attacks on ownership answers: another user's trace, turn or session must look exactly like one
 * that does not exist (404, no ids of theirs in the message), a repeated query parameter must
 * not reach the database as an array, and a refused message must leave nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, asKind, type Harness, PLANNER, RecordingSocket, script } from '../support/server-harness.js';
import { bearer, securedHarness } from './support/identities.js';

let harness: Harness;
let alice: Record<string, string>;
let bob: Record<string, string>;
let aliceSession: string;
let aliceTurn: string;
let aliceTrace: string;

beforeAll(async () => {
  harness = await securedHarness();
  alice = await bearer('acme', 'alice');
  bob = await bearer('acme', 'bob');
  aliceSession = (await api(harness, 'POST', '/api/v1/sessions', {}, alice)).body!.id;
  script(harness, [{ model: PLANNER, reply: 'Hello Alice.' }]);
  const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, alice);
  socket.send({ type: 'message', content: 'hi', session_id: aliceSession });
  await socket.untilTerminal();
  const final = asKind(socket.events().at(-1), 'final');
  aliceTurn = final.turn_id!;
  aliceTrace = final.payload.trace_id as string;
  await socket.close();
  await harness.server.flushTraces();
});
afterAll(async () => {
  await harness?.close();
});

describe('ownership answers', () => {
  it("answers another user's trace exactly like an unknown one", async () => {
    expect((await api(harness, 'GET', `/api/v1/traces/${aliceTrace}`, undefined, alice)).status).toBe(200);
    const foreign = await api(harness, 'GET', `/api/v1/traces/${aliceTrace}`, undefined, bob);
    const unknown = await api(
      harness,
      'GET',
      '/api/v1/traces/tr-00000000000000000000000000000000',
      undefined,
      bob,
    );
    expect([foreign.status, foreign.body!.code]).toEqual([404, 'trace_not_found']);
    expect([unknown.status, unknown.body!.code]).toEqual([404, 'trace_not_found']);
  });

  it("refuses feedback on another user's turn or trace as not found, naming none of their ids", async () => {
    const attempts = [
      { turn_id: aliceTurn, is_correct: true },
      { trace_id: aliceTrace, is_correct: true },
      { turn_id: aliceTurn, trace_id: 'tr-0123456789abcdef0123456789abcdef', is_correct: true },
    ];
    for (const body of attempts) {
      const answer = await api(harness, 'POST', '/api/v1/traces/feedback', body, bob);
      expect(answer.status, JSON.stringify(answer.body)).toBe(404);
      expect(['turn_not_found', 'trace_not_found']).toContain(answer.body!.code);
      const text = JSON.stringify(answer.body);
      // Only what Bob sent himself may be echoed back.
      if (!('trace_id' in body && body.trace_id === aliceTrace)) expect(text).not.toContain(aliceTrace);
      if (!('turn_id' in body)) expect(text).not.toContain(aliceTurn);
      expect(text).not.toContain('alice');
    }
    expect((await api(harness, 'POST', '/api/v1/traces/feedback', attempts[0], alice)).status).toBe(200);
  });

  it('refuses a repeated session_id on the events socket with a clear error', async () => {
    const bobSession = (await api(harness, 'POST', '/api/v1/sessions', {}, bob)).body!.id;
    const socket = await RecordingSocket.open(
      `${harness.wsUrl}/api/v1/ws/execution/events?session_id=${bobSession}&session_id=${aliceSession}`,
      bob,
    );
    await socket.until(() => socket.closed !== undefined);
    expect(socket.errors()[0]?.code).toBe('invalid_frame');
    expect(socket.errors()[0]?.message).toMatch(/session_id/);
    expect(socket.closed?.code).toBe(1008);
    expect((await api(harness, 'GET', '/health')).status).toBe(200);
  });

  it('leaves no session behind when a message for a new session is refused', async () => {
    const count = async () =>
      (await api(harness, 'GET', '/api/v1/sessions', undefined, bob)).body!.items.length;
    const before = await count();
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, bob);
    socket.send({ type: 'message', content: 'read this', documents: ['no-such-document'] });
    await socket.until(() => socket.errors().length > 0);
    expect(socket.errors()[0]!.code).toBe('invalid_frame');
    expect(await count()).toBe(before);
    await socket.close();
  });
});

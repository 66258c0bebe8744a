/**
 * Per-user limits: one user cannot run more than USER_MAX_CONCURRENT_TURNS turns, hold more than
 * USER_MAX_SANDBOXES sandboxes or open more than USER_MAX_SOCKETS sockets; past a limit they get
 * a clear `quota_exceeded`, and nobody else is affected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Harness, PLANNER, RecordingSocket, script } from '../support/server-harness.js';
import { bearer, lastMessage as last, runPython, securedHarness } from './support/identities.js';

let harness: Harness;
let alice: Record<string, string>;
let bob: Record<string, string>;

beforeAll(async () => {
  harness = await securedHarness({
    USER_MAX_CONCURRENT_TURNS: '2',
    USER_MAX_SANDBOXES: '1',
    USER_MAX_SOCKETS: '3',
    SANDBOX_MAX_LIVE: '4',
  });
  alice = await bearer('acme', 'alice');
  bob = await bearer('acme', 'bob');
});
afterAll(async () => {
  await harness?.close();
});

const newSession = async (who: Record<string, string>) =>
  (await api(harness, 'POST', '/api/v1/sessions', {}, who)).body!.id as string;
const open = (who: Record<string, string>) =>
  RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, who);

describe('per-user quotas', () => {
  it('refuses a third concurrent turn of one user, not of another, and accepts it once one ends', async () => {
    script(harness, [
      { model: PLANNER, match: (request) => last(request).content.includes('wait'), reply: { hang: true } },
      { model: PLANNER, reply: 'quick answer' },
    ]);
    const socket = await open(alice);
    const sessions = [await newSession(alice), await newSession(alice), await newSession(alice)];
    socket.send({ type: 'message', content: 'wait 1', session_id: sessions[0] });
    socket.send({ type: 'message', content: 'wait 2', session_id: sessions[1] });
    await socket.until(() => socket.events().filter((event) => event.kind === 'status').length >= 2);
    socket.send({ type: 'message', content: 'one more', session_id: sessions[2] });
    await socket.until(() => socket.errors().length > 0);
    const refused = socket.errors()[0]!;
    expect(refused.code).toBe('quota_exceeded');
    expect(refused.message).toContain('USER_MAX_CONCURRENT_TURNS=2');

    const bobSocket = await open(bob);
    bobSocket.send({ type: 'message', content: 'hello', session_id: await newSession(bob) });
    await bobSocket.untilTerminal();
    expect(bobSocket.events().at(-1)!.kind).toBe('final');

    socket.send({ type: 'cancel', session_id: sessions[0] });
    await socket.untilTerminal(1);
    socket.send({ type: 'message', content: 'one more', session_id: sessions[2] });
    await socket.until(() => socket.events().some((event) => event.kind === 'final'));
    socket.send({ type: 'cancel', session_id: sessions[1] });
    await socket.until(() => socket.events().filter((event) => event.kind === 'cancelled').length === 2);
    await Promise.all([socket.close(), bobSocket.close()]);
  });

  it("keeps one user's sandboxes under the limit: their own idle one goes first, a busy one is a clear refusal", async () => {
    script(harness, [
      { model: PLANNER, match: (request) => last(request).role === 'tool', reply: 'done' },
      {
        model: PLANNER,
        match: (request) => last(request).content.includes('slow'),
        reply: runPython('import time\ntime.sleep(1.5)\nprint("slept")'),
      },
      { model: PLANNER, reply: runPython('print("ran")') },
    ]);
    const socket = await open(alice);
    const [first, second] = [await newSession(alice), await newSession(alice)];
    // One after the other: the second session takes the first one's idle sandbox slot.
    socket.send({ type: 'message', content: 'go', session_id: first });
    await socket.untilTerminal(1);
    socket.send({ type: 'message', content: 'go', session_id: second });
    await socket.untilTerminal(2);
    const outputs = socket.events().filter((event) => event.kind === 'tool_result');
    expect(outputs.map((event) => event.payload.output)).toEqual(['ran', 'ran']);

    // At once: the first holds the only sandbox Alice may have, busy; the second is refused.
    socket.send({ type: 'message', content: 'slow', session_id: first });
    await socket.until(() => socket.events().filter((event) => event.kind === 'tool_call').length === 3);
    socket.send({ type: 'message', content: 'go', session_id: second });
    await socket.untilTerminal(4);
    const results = socket
      .events()
      .filter((event) => event.kind === 'tool_result')
      .slice(2);
    const refusal = results.find((event) => String(event.payload.output).includes('USER_MAX_SANDBOXES=1'));
    expect(refusal, JSON.stringify(results.map((event) => event.payload.output))).toBeDefined();
    expect(results.map((event) => event.payload.output)).toContain('slept');
    await socket.close();
  });

  it('refuses a fourth socket of one user with quota_exceeded, and admits one again after a close', async () => {
    const sockets = [await open(alice), await open(alice), await open(alice)];
    const fourth = await open(alice);
    await fourth.until(() => fourth.closed !== undefined);
    expect(fourth.errors()[0]?.code).toBe('quota_exceeded');
    expect(fourth.closed?.code).toBe(1008);
    const events = await RecordingSocket.open(
      `${harness.wsUrl}/api/v1/ws/execution/events?session_id=${await newSession(alice)}`,
      alice,
    );
    await events.until(() => events.closed !== undefined);
    expect(events.errors()[0]?.code).toBe('quota_exceeded');

    const other = await open(bob);
    expect(other.closed).toBeUndefined();
    await sockets[0]!.close();
    const again = await open(alice);
    again.send({ type: 'command', command: 'list_documents', session_id: await newSession(alice) });
    await again.until(() => again.frames.length > 0);
    expect(again.frames[0]!.type).toBe('command_result');
    await Promise.all([...sockets.slice(1), other, again].map((socket) => socket.close()));
  });
});

/**
 * Session ids chosen by the client (fleet-rlm (Python)'s Workbench makes a UUID in the browser,
 * opens the events socket with it at page load and sends it with the first message). Attacks: a
 * user naming another user's session id, racing them for a new one, or listening on the events
 * socket for a session someone else is about to create.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Harness, PLANNER, RecordingSocket, script, waitFor } from '../support/server-harness.js';
import { bearer, securedHarness } from './support/identities.js';

let harness: Harness;
let alice: Record<string, string>;
let bob: Record<string, string>;
const ALICE = { workspaceId: 'acme', userId: 'alice' };

beforeAll(async () => {
  harness = await securedHarness({ EVENTS_SESSION_WAIT: '1.5' });
  alice = await bearer('acme', 'alice');
  bob = await bearer('acme', 'bob');
  script(harness, [{ model: PLANNER, reply: 'Hello.' }]);
});
afterAll(async () => {
  await harness?.close();
});

const chat = (headers: Record<string, string>) =>
  RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, headers);
const events = (id: string, headers: Record<string, string>) =>
  RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution/events?session_id=${id}`, headers);

/** Sends one message and waits for its answer: a terminal event or an error envelope. */
async function send(headers: Record<string, string>, sessionId: string, content = 'hi') {
  const socket = await chat(headers);
  socket.send({ type: 'message', content, session_id: sessionId });
  await socket.until(
    () => socket.errors().length > 0 || socket.events().some((event) => event.kind === 'final'),
  );
  await socket.close();
  return { events: socket.events(), errors: socket.errors() };
}

const sessionCount = async (headers: Record<string, string>) =>
  (await api(harness, 'GET', '/api/v1/sessions?limit=100&include_archived=true', undefined, headers)).body!
    .items.length;

describe('client-chosen session ids', () => {
  it('creates the session a message names by a new UUID, for the sender only', async () => {
    const id = randomUUID();
    const answer = await send(alice, id);
    expect(answer.errors).toEqual([]);
    expect(answer.events.at(-1)).toMatchObject({ kind: 'final', text: 'Hello.', session_id: id });
    const read = await api(harness, 'GET', `/api/v1/sessions/${id}`, undefined, alice);
    expect([read.status, read.body!.id, read.body!.user_id]).toEqual([200, id, 'alice']);
    expect((await api(harness, 'GET', `/api/v1/sessions/${id}`, undefined, bob)).status).toBe(404);
  });

  it("answers another user's session id exactly like an unknown id, and adds nothing to it", async () => {
    const id = randomUUID();
    await send(alice, id);
    const foreign = await send(bob, id);
    const unknown = await send(bob, 'no-such-session');
    expect(foreign.events).toEqual([]);
    expect(foreign.errors.map((error) => error.code)).toEqual(['session_not_found']);
    expect(unknown.errors.map((error) => error.code)).toEqual(['session_not_found']);
    // Same words, only the id Bob sent differs.
    expect(foreign.errors[0]!.message.replace(id, '<id>')).toBe(
      unknown.errors[0]!.message.replace('no-such-session', '<id>'),
    );
    expect(JSON.stringify(foreign.errors)).not.toContain('alice');
    const turns = await api(harness, 'GET', `/api/v1/sessions/${id}/turns`, undefined, alice);
    expect(turns.body!.items).toHaveLength(1);
  });

  it('creates nothing for an unknown id that is not a UUID', async () => {
    const before = await sessionCount(bob);
    for (const id of ['not-a-uuid', `fleet-${Date.now()}-1`, randomUUID().toUpperCase()]) {
      const answer = await send(bob, id);
      expect(answer.errors.map((error) => error.code)).toEqual(['session_not_found']);
    }
    expect(await sessionCount(bob)).toBe(before);
  });

  it('gives a new UUID two users race for to exactly one of them', async () => {
    for (let round = 0; round < 3; round++) {
      const id = randomUUID();
      const [forAlice, forBob] = await Promise.all([send(alice, id), send(bob, id)]);
      const outcomes = [forAlice, forBob].map(
        (answer) => answer.errors[0]?.code ?? answer.events.at(-1)?.kind,
      );
      expect(outcomes.sort()).toEqual(['final', 'session_not_found']);
      const winner = forAlice.errors.length === 0 ? alice : bob;
      const loser = winner === alice ? bob : alice;
      expect((await api(harness, 'GET', `/api/v1/sessions/${id}`, undefined, winner)).status).toBe(200);
      expect((await api(harness, 'GET', `/api/v1/sessions/${id}`, undefined, loser)).status).toBe(404);
    }
  });

  it('runs one turn when one user sends two first messages for one new UUID at once', async () => {
    script(harness, [{ model: PLANNER, reply: { text: 'Slow hello.', delayMs: 200 } }]);
    try {
      for (let round = 0; round < 3; round++) {
        const id = randomUUID();
        // Straight into the turn runner, in one tick: over two sockets the second frame is read
        // only after the first has made the session, so the race could not be forced there.
        const frame = (content: string) => ({ type: 'message' as const, content, session_id: id });
        const results = await Promise.allSettled([
          harness.server.context.runner.submit(ALICE, frame('one')),
          harness.server.context.runner.submit(ALICE, frame('two')),
        ]);
        const refused = results.filter((result) => result.status === 'rejected');
        expect(refused.map((result) => (result.reason as { code?: string }).code)).toEqual([
          'turn_in_progress',
        ]);
        await waitFor(() => harness.server.context.runner.runningTurn(id) === undefined);
        const turns = await api(harness, 'GET', `/api/v1/sessions/${id}/turns`, undefined, alice);
        expect(turns.body!.items.map((turn: { status: string }) => turn.status)).toEqual(['completed']);
      }
    } finally {
      script(harness, [{ model: PLANNER, reply: 'Hello.' }]);
    }
  });
});

describe('the events socket opened before its session exists', () => {
  it('waits, then delivers the whole session once its owner creates it', async () => {
    const id = randomUUID();
    const watcher = await events(id, alice);
    const answer = await send(alice, id);
    expect(answer.errors).toEqual([]);
    await watcher.until(() => watcher.passive().some((frame) => frame.type === 'execution_completed'));
    const frames = watcher.passive();
    expect(frames[0]).toMatchObject({ type: 'execution_started', session_id: id });
    expect(frames.map((frame) => frame.seq)).toEqual(frames.map((_, index) => index + 1));
    expect(watcher.errors()).toEqual([]);
    expect(watcher.closed).toBeUndefined();
    await watcher.close();
  });

  it("never delivers a session someone else creates under that id: it ends like an unknown id's", async () => {
    const id = randomUUID();
    const spy = await events(id, bob);
    await send(alice, id);
    await spy.until(() => spy.closed !== undefined, 10_000);
    expect(spy.passive()).toEqual([]);
    expect(spy.errors().map((error) => error.code)).toEqual(['session_not_found']);
    expect(spy.closed?.code).toBe(1008);
    expect(JSON.stringify(spy.frames)).not.toContain('alice');
  });

  it('gives up on a session that never appears with session_not_found and close 1008', async () => {
    const watcher = await events(randomUUID(), alice);
    await watcher.until(() => watcher.closed !== undefined, 10_000);
    expect(watcher.errors().map((error) => error.code)).toEqual(['session_not_found']);
    expect(watcher.closed?.code).toBe(1008);
  });
});

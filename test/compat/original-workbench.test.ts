/**
 * fleet-rlm (Python)'s React Workbench against our server, replayed from its source: the calls
 * and frames its code makes, in its order, and the fields its code reads from the answers. The
 * wire behaviour is re-enacted in `original-client.ts`, which names the source files it was
 * derived from (public repo Qredence/fleet-rlm, src/frontend, at 3dc2a46); the screens' reads
 * below come from src/features/history/{session-list,session-detail,session-replay}.tsx,
 * src/lib/workspace/use-workspace-runtime.ts (the events socket at page load, never
 * re-subscribed) and src/lib/rlm-api/ws-frame-parser.ts (how passive frames are read).
 *
 * The frame payload fields it reads (tool inputs, trajectory steps, live sandbox output, the
 * runtime context, `mlflow_trace_id`, `event_id` on passive frames) are checked in
 * `original-workbench-frames.test.ts`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src/server/auth/dev-token.js';
import { type Harness, PLANNER, script, startHarness } from '../support/server-harness.js';
import { OriginalClient, runtimeGuardBlocks, WORKBENCH_ORIGIN } from './original-client.js';

const SECRET = 'a-long-test-secret-that-is-not-the-default-value';

let harness: Harness;
let client: OriginalClient;

beforeAll(async () => {
  // As the README tells an operator to run it for the Workbench's dev server.
  harness = await startHarness({
    AUTH_REQUIRED: 'true',
    DEV_JWT_SECRET: SECRET,
    ADMIN_USERS: 'alice',
    CORS_ALLOWED_ORIGINS: WORKBENCH_ORIGIN,
  });
  const token = await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'alice' });
  client = new OriginalClient({ url: harness.url, token });
});
afterAll(async () => {
  await harness?.close();
});

describe('the original Workbench', () => {
  it('is not blocked from sending when the sandbox is not Daytona, even after a failed Daytona test', async () => {
    const status = await client.http('GET', '/api/v1/runtime/status');
    expect(status.status).toBe(200);
    expect(status.body!.daytona).toMatchObject({ configured: null, applicable: false });
    expect(runtimeGuardBlocks(status.body!)).toBe(false);

    // Settings → "Test Daytona" without credentials fails, and is cached.
    const tested = await client.http('POST', '/api/v1/runtime/tests/daytona');
    expect([tested.status, tested.body!.ok]).toEqual([200, false]);
    const after = await client.http('GET', '/api/v1/runtime/status');
    expect(after.body!.tests.daytona).toBeNull();
    expect(runtimeGuardBlocks(after.body!)).toBe(false);
  });

  it('runs its conversation: events socket at page load, a message, a stopped one, another, then History', async () => {
    // Page load: the events socket opens with the browser-made id, before any session exists.
    const events = await client.openEventsSocket();
    const sessionId = client.sessionId;

    script(harness, [{ model: PLANNER, reply: 'Four.' }]);
    const first = await client.sendMessage('What is 2 + 2?');
    await OriginalClient.untilDone(first);
    expect(first.errors()).toEqual([]);
    expect(first.events().at(-1)).toMatchObject({ kind: 'final', text: 'Four.', session_id: sessionId });

    // Stop while the model is still thinking: `cancel` on the same socket, `cancelled` back in time.
    script(harness, [{ model: PLANNER, reply: { hang: true } }]);
    const second = await client.sendMessage('Review https://github.com/Qredence/fleet-rlm in depth', {
      repoUrl: 'https://github.com/Qredence/fleet-rlm',
      contextPaths: ['docs'],
      batchConcurrency: 4,
    });
    await second.until(() => second.events().length > 0);
    await client.stop(second);
    expect(second.errors()).toEqual([]);
    expect(second.events().at(-1)).toMatchObject({ kind: 'cancelled', session_id: sessionId });

    script(harness, [{ model: PLANNER, reply: 'Still four.' }]);
    const third = await client.sendMessage('And 2 + 2 again?', { executionMode: 'tools_only' });
    await OriginalClient.untilDone(third);
    expect(third.events().at(-1)).toMatchObject({ kind: 'final', text: 'Still four.' });

    // Every chat event has an id the transcript can key on, unique over the conversation.
    const chatEvents = [first, second, third].flatMap((socket) => socket.events());
    const eventIds = chatEvents.map((event) => event.event_id);
    expect(eventIds.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(eventIds).size).toBe(eventIds.length);

    // The events socket, opened before the session existed, got all three runs and stays open.
    const completedRuns = () => events.passive().filter((frame) => frame.type === 'execution_completed');
    await events.until(() => completedRuns().length === 3);
    expect(events.errors()).toEqual([]);
    expect(events.closed).toBeUndefined();
    expect(events.passive()[0]).toMatchObject({ type: 'execution_started', session_id: sessionId });
    expect(completedRuns().map((frame) => frame.summary?.status)).toEqual([
      'completed',
      'cancelled',
      'completed',
    ]);
    // What the run workbench shows as the answer (`parseExecutionEnvelope`).
    const artifact = completedRuns()[0]!.summary?.final_artifact as { value: { text: string } };
    expect(artifact.value.text).toBe('Four.');
    await events.close();

    // History: the list (20 a page), its search and status filter, the detail and the replay.
    const list = await client.listSessions({ limit: 20, offset: 0 });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 1, offset: 0, limit: 20, has_more: false });
    expect(list.body!.items[0]).toMatchObject({
      id: sessionId,
      title: 'What is 2 + 2?',
      status: 'active',
      model_name: `openai/${PLANNER}`,
    });
    for (const field of ['created_at', 'updated_at'])
      expect(Number.isNaN(Date.parse(list.body!.items[0][field]))).toBe(false);
    const searched = await client.listSessions({ search: 'again', limit: 20 });
    expect(searched.body!.items.map((item: { id: string }) => item.id)).toEqual([sessionId]);
    const archived = await client.listSessions({ status: 'archived', limit: 20 });
    expect(archived.body).toMatchObject({ items: [], total: 0, has_more: false });

    const detail = await client.getSession(sessionId);
    expect(detail.body).toMatchObject({
      id: sessionId,
      status: 'active',
      turn_count: 3,
      model_name: `openai/${PLANNER}`,
    });
    const turns = await client.getSessionTurns(sessionId, { limit: 20 });
    expect(turns.body).toMatchObject({ total: 3, offset: 0, limit: 20, has_more: false });
    expect(
      turns.body!.items.map((turn: Record<string, unknown>) => [
        turn.turn_index,
        turn.user_message,
        turn.assistant_message,
      ]),
    ).toEqual([
      [1, 'What is 2 + 2?', 'Four.'],
      [2, 'Review https://github.com/Qredence/fleet-rlm in depth', null],
      [3, 'And 2 + 2 again?', 'Still four.'],
    ]);
    expect(
      turns.body!.items.every((turn: { created_at: string }) => !Number.isNaN(Date.parse(turn.created_at))),
    ).toBe(true);

    // Archive from the detail drawer; the archived filter then finds it.
    expect((await client.http('DELETE', `/api/v1/sessions/${sessionId}`)).status).toBe(204);
    const archivedNow = await client.listSessions({ status: 'archived', limit: 20 });
    expect(archivedNow.body!.items.map((item: { id: string }) => item.id)).toEqual([sessionId]);
  });

  it('shows our error messages, which it reads from `detail`', async () => {
    const missing = await client.getSession(randomUUID());
    expect(missing.status).toBe(404);
    expect(OriginalClient.errorDetail(missing.status, missing.body)).toMatch(/^no session /);
  });

  it('starts a new chat under a new browser-made id with its own session', async () => {
    client.sessionId = randomUUID();
    const events = await client.openEventsSocket();
    script(harness, [{ model: PLANNER, reply: 'New chat.' }]);
    const message = await client.sendMessage('Hello again');
    await OriginalClient.untilDone(message);
    expect(message.events().at(-1)).toMatchObject({ kind: 'final', session_id: client.sessionId });
    await events.until(() => events.passive().some((frame) => frame.type === 'execution_completed'));
    expect(new Set(events.passive().map((frame) => frame.session_id))).toEqual(new Set([client.sessionId]));
    await events.close();
    expect((await client.getSession(client.sessionId)).body!.turn_count).toBe(1);
  });
});

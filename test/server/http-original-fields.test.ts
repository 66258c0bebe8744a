/**
 * The HTTP fields fleet-rlm (Python)'s clients send and read, answered beside ours: sessions
 * listed by `search`, `status` and `offset` with `total`/`has_more`/`offset`/`limit`, a session's
 * `turn_count` and `model_name`, turns' `turn_index`/`created_at` with totals, and `detail`
 * beside `message` in every error body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  type Harness,
  PLANNER,
  RecordingSocket,
  script,
  startHarness,
} from '../support/server-harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

async function sendTurns(sessionId: string, messages: string[]): Promise<void> {
  script(harness, [{ model: PLANNER, reply: 'Noted.' }]);
  const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
  for (const [index, content] of messages.entries()) {
    socket.send({ type: 'message', content, session_id: sessionId });
    await socket.untilTerminal(index + 1);
  }
  await socket.close();
}

const ids = (body: Record<string, unknown> | null) =>
  (body!.items as Array<{ id: string }>).map((item) => item.id);

describe('fields of the original API', () => {
  it('lists sessions by search, status and offset, with totals', async () => {
    const created: string[] = [];
    for (const title of ['zeta plan', 'zeta notes', 'zeta plan b', 'zeta plan c']) {
      created.push((await api(harness, 'POST', '/api/v1/sessions', { title })).body!.id);
    }
    // Newest activity first: a turn in each, in order, makes the order well defined.
    for (const id of created) await sendTurns(id, ['zeta hello']);
    await api(harness, 'DELETE', `/api/v1/sessions/${created[0]}`);

    const page = await api(harness, 'GET', '/api/v1/sessions?search=ZETA%20PLAN&limit=1&offset=1');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ total: 2, offset: 1, limit: 1, has_more: false });
    expect(ids(page.body)).toEqual([created[2]]);
    expect(page.body!.items[0]).toMatchObject({ title: 'zeta plan b', model_name: `openai/${PLANNER}` });

    const first = await api(harness, 'GET', '/api/v1/sessions?search=zeta%20plan&limit=1');
    expect(first.body).toMatchObject({ total: 2, offset: 0, limit: 1, has_more: true });
    expect(first.body!.next_cursor).toEqual(expect.any(String));

    const archived = await api(harness, 'GET', '/api/v1/sessions?search=zeta&status=archived');
    expect(ids(archived.body)).toEqual([created[0]]);
    expect(archived.body).toMatchObject({ total: 1, has_more: false });
    const active = await api(harness, 'GET', '/api/v1/sessions?search=zeta&status=active');
    expect(ids(active.body)).toEqual([created[3], created[2], created[1]]);
    expect(active.body!.total).toBe(3);

    // Ours still work beside them.
    const ours = await api(harness, 'GET', '/api/v1/sessions?query=zeta%20plan&limit=10');
    expect(ids(ours.body)).toEqual([created[3], created[2]]);

    const bad = await api(harness, 'GET', '/api/v1/sessions?status=deleted');
    expect([bad.status, bad.body!.code]).toEqual([400, 'invalid_request']);
    const both = await api(harness, 'GET', '/api/v1/sessions?offset=1&cursor=abc');
    expect([both.status, both.body!.code]).toEqual([400, 'invalid_request']);
    expect(JSON.stringify(both.body!.details)).toMatch(/page by cursor or by offset, not both/);
    const twice = await api(harness, 'GET', '/api/v1/sessions?query=a&search=b');
    expect([twice.status, JSON.stringify(twice.body!.details)]).toEqual([
      400,
      expect.stringMatching(/give one of them/),
    ]);
  });

  it("gives a session's turn_count and model_name, and its turns' turn_index, created_at and totals", async () => {
    const id = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
    await sendTurns(id, ['first', 'second', 'third']);

    const detail = await api(harness, 'GET', `/api/v1/sessions/${id}`);
    expect(detail.body).toMatchObject({ id, turn_count: 3, model_name: `openai/${PLANNER}` });

    const turns = await api(harness, 'GET', `/api/v1/sessions/${id}/turns?limit=2&offset=1`);
    expect(turns.body).toMatchObject({ total: 3, offset: 1, limit: 2, has_more: false });
    expect(turns.body!.items).toEqual([
      expect.objectContaining({
        turn_index: 2,
        index: 2,
        user_message: 'second',
        assistant_message: 'Noted.',
      }),
      expect.objectContaining({
        turn_index: 3,
        index: 3,
        user_message: 'third',
        assistant_message: 'Noted.',
      }),
    ]);
    const item = turns.body!.items[0];
    expect(item.created_at).toBe(item.started_at);
    const firstPage = await api(harness, 'GET', `/api/v1/sessions/${id}/turns?limit=2`);
    expect(firstPage.body).toMatchObject({ total: 3, offset: 0, limit: 2, has_more: true });
  });

  it('puts detail beside message in error bodies', async () => {
    const missing = await api(harness, 'GET', '/api/v1/sessions/does-not-exist');
    expect(missing.body).toMatchObject({ code: 'session_not_found', message: 'no session does-not-exist' });
    expect(missing.body!.detail).toBe(missing.body!.message);
    const route = await api(harness, 'GET', '/api/v1/nowhere');
    expect(route.body!.detail).toBe(route.body!.message);
    const invalid = await api(harness, 'GET', '/api/v1/sessions?limit=0');
    expect(invalid.body!.detail).toBe(invalid.body!.message);
  });
});

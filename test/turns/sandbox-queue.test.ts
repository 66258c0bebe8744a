/**
 * A turn that has to wait for a sandbox says so. With one sandbox allowed (SANDBOX_MAX_LIVE=1)
 * and a turn holding it with slow code, a second session's turn calls run_python and must tell
 * its client it is queued, why, and where it stands — not fall silent until the slot frees —
 * then that it got a sandbox, then its result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatEvent, isEventOf } from '../../src/contract/chat-events.js';
import type { ScriptedRequest } from '../support/scripted-lm-server.js';
import {
  api,
  type Harness,
  PLANNER,
  RecordingSocket,
  script,
  startHarness,
  waitFor,
} from '../support/server-harness.js';

const lastMessage = (request: ScriptedRequest) => request.messages.at(-1) ?? { role: '', content: '' };
const runPython = (code: string) => ({ toolCalls: [{ name: 'run_python', args: { code } }] });
const phaseOf = (event: ChatEvent) => (isEventOf(event, 'status') ? event.payload.phase : undefined);

describe('a turn waiting for a sandbox', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ SANDBOX_MAX_LIVE: '1' });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('is told it is queued and why, then that it got one, then its result', async () => {
    script(harness, [
      { model: PLANNER, match: (request) => lastMessage(request).role === 'tool', reply: 'done' },
      {
        model: PLANNER,
        match: (request) => lastMessage(request).content.includes('slow'),
        reply: runPython('import time\ntime.sleep(3)\nprint("slow done")'),
      },
      { model: PLANNER, reply: runPython('print("fast done")') },
    ]);
    const holder = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
    const waiter = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
    const first = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    const second = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    first.send({ type: 'message', content: 'slow please', session_id: holder });
    // The first turn holds the one sandbox.
    await waitFor(() => harness.server.context.pool.stats().leased === 1);
    second.send({ type: 'message', content: 'fast please', session_id: waiter });
    await second.untilTerminal(1, 30_000);
    await first.untilTerminal(1, 30_000);

    const events = second.events();
    const queued = events.find((event) => phaseOf(event) === 'queued');
    expect(queued, 'a queued status frame').toBeDefined();
    expect(queued!.text).toMatch(/^Waiting for a sandbox: 1 of 1 in use \(SANDBOX_MAX_LIVE=1\)/);
    expect(queued!.payload).toMatchObject({
      phase: 'queued',
      waiting_for: 'sandbox',
      position: 1,
      in_use: 1,
      cap: 1,
    });
    const acquired = events.find((event) => phaseOf(event) === 'sandbox_acquired');
    expect(acquired, 'a sandbox_acquired status frame').toBeDefined();
    expect(acquired!.payload).toMatchObject({ waited_ms: expect.any(Number) });
    expect(acquired!.payload.runtime).toMatchObject({ sandbox_active: true });
    const order = (kind: string, phase?: string) =>
      events.findIndex((event) => event.kind === kind && (phase === undefined || phaseOf(event) === phase));
    expect(order('tool_call')).toBeLessThan(order('status', 'queued'));
    expect(order('status', 'queued')).toBeLessThan(order('status', 'sandbox_acquired'));
    expect(order('status', 'sandbox_acquired')).toBeLessThan(order('tool_result'));
    expect(events.find((event) => event.kind === 'tool_result')?.payload).toMatchObject({
      output: 'fast done',
    });
    expect(events.at(-1)).toMatchObject({ kind: 'final', text: 'done' });
    // The turn that never waited says nothing of queues.
    expect(first.events().some((event) => phaseOf(event) === 'queued')).toBe(false);
    await first.close();
    await second.close();
  }, 60_000);
});

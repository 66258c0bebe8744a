/**
 * The live API end to end: a real server, real sockets, the real agent and RLM engine, a real
 * process sandbox, and the scripted OpenAI-compatible model server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../src/contract/chat-events.js';
import {
  api,
  asKind,
  DELEGATE,
  type Harness,
  PLANNER,
  RecordingSocket,
  script,
  startHarness,
  waitFor,
} from '../support/server-harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

async function sessionWithDocument(text = 'header\nthe code=42 is here\nfooter'): Promise<string> {
  const created = await api(harness, 'POST', '/api/v1/sessions', {});
  const id = created.body!.id as string;
  const added = await api(harness, 'POST', `/api/v1/sessions/${id}/documents`, { name: 'notes.txt', text });
  expect(added.status).toBe(201);
  return id;
}

function delegationScript(finalReply: Record<string, unknown> = {}) {
  return [
    {
      model: PLANNER,
      times: 1,
      reply: {
        text: 'Let me delegate.',
        toolCalls: [{ name: 'delegate_to_rlm', args: { task: 'find the code' } }],
      },
    },
    {
      model: DELEGATE,
      times: 1,
      reply:
        'Search it.\n```repl\nimport re\ncode = re.search(r"code=(\\d+)", context).group(1)\nprint(code)\n```',
    },
    { model: DELEGATE, times: 1, reply: '```repl\nSUBMIT(answer=code)\n```' },
    { model: PLANNER, reply: { text: 'The code is 42 and that is the whole answer.', ...finalReply } },
  ];
}

const seqs = (events: ChatEvent[]) => events.map((event) => event.seq);
const range = (n: number) => Array.from({ length: n }, (_, index) => index + 1);

describe('/api/v1/ws/execution', () => {
  it('streams a full turn with a delegation, in order, gap-free, on both sockets', async () => {
    const sessionId = await sessionWithDocument();
    script(harness, delegationScript());
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({
      type: 'message',
      content: 'What is the code?',
      session_id: sessionId,
      client_message_id: 'm1',
    });
    await socket.untilTerminal();
    const events = socket.events();
    expect(seqs(events)).toEqual(range(events.length));
    expect(events.every((event) => event.session_id === sessionId && event.version === 2)).toBe(true);
    const kinds = events.map((event) => event.kind);
    expect(kinds[0]).toBe('status');
    expect(kinds.at(-1)).toBe('final');
    const order = [
      'reasoning_step',
      'tool_call',
      'rlm_executing',
      'trajectory_step',
      'tool_result',
      'final',
    ].map((kind) => kinds.indexOf(kind as never));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const call = events.find((event) => event.kind === 'tool_call')!;
    const result = events.find((event) => event.kind === 'tool_result')!;
    expect(call.payload).toMatchObject({
      tool_name: 'delegate_to_rlm',
      arguments: { task: 'find the code' },
    });
    expect(result.payload).toMatchObject({ call_id: call.payload.call_id, ok: true, output: '42' });
    expect(events.find((event) => event.kind === 'reasoning_step')!.text).toBe('Let me delegate.');
    const trajectory = events.filter((event) => event.kind === 'trajectory_step');
    expect(trajectory.map((event) => event.payload.depth)).toEqual([0, 0]);
    const final = asKind(events.at(-1), 'final');
    expect(final.text).toBe('The code is 42 and that is the whole answer.');
    expect(final.payload).toMatchObject({ turn_index: 1, delegations: 1 });
    expect(final.payload).toHaveProperty('trace_id');
    expect(final.payload.usage.total_tokens).toBeGreaterThan(0);
    expect(final.payload.cost_usd).toBe(0); // no price is configured for the scripted models
    const streamed = events
      .filter((event) => event.kind === 'assistant_token' && event.payload.iteration === 2)
      .map((event) => event.text);
    expect(streamed.join('')).toBe(final.text);
    await socket.close();

    const passive = await RecordingSocket.open(
      `${harness.wsUrl}/api/v1/ws/execution/events?session_id=${sessionId}&since_seq=0`,
    );
    await passive.until(() => passive.passive().some((frame) => frame.type === 'execution_completed'));
    const frames = passive.passive();
    expect(frames.map((frame) => frame.seq)).toEqual(range(frames.length));
    expect(frames[0]!.type).toBe('execution_started');
    expect(frames.at(-1)!.type).toBe('execution_completed');
    expect(frames.at(-1)!.summary).toMatchObject({ status: 'completed' });
    const steps = frames.filter((frame) => frame.type === 'execution_step').map((frame) => frame.step!);
    const known = new Set([`${final.turn_id}:root`]);
    for (const step of steps) {
      expect(known.has(step.parent_id!)).toBe(true); // every parent was announced before its child
      known.add(step.id);
    }
    const types = new Set(steps.map((step) => step.type));
    expect([...types].sort()).toEqual(['llm', 'output', 'repl', 'tool']);
    expect(steps.some((step) => step.label === 'code block 1' && step.actor_kind === 'sandbox')).toBe(true);
    await passive.close();
    const turns = await api(harness, 'GET', `/api/v1/sessions/${sessionId}/turns`);
    expect(turns.body!.items).toHaveLength(1);
    expect(turns.body!.items[0]).toMatchObject({
      status: 'completed',
      assistant_message: final.text,
      client_message_id: 'm1',
    });
  });

  it('keeps the turn running when the socket closes; resume replays every missed frame exactly once', async () => {
    const sessionId = await sessionWithDocument();
    script(harness, delegationScript({ chunkDelayMs: 25 }));
    const first = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    first.send({ type: 'message', content: 'What is the code?', session_id: sessionId });
    await first.until(() => first.events().some((event) => event.kind === 'tool_result'));
    const seen = first.events();
    await first.close();
    const second = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    second.send({ type: 'resume', session_id: sessionId, since_seq: seen.at(-1)!.seq });
    await second.untilTerminal();
    const all = [...seen, ...second.events()];
    expect(seqs(all)).toEqual(range(all.length));
    expect(all.at(-1)!.kind).toBe('final');
    await second.close();
  });

  it('gives two viewers of one session identical streams', async () => {
    const sessionId = await sessionWithDocument();
    script(harness, delegationScript({ chunkDelayMs: 10 }));
    const sender = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    const viewer = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    sender.send({ type: 'message', content: 'What is the code?', session_id: sessionId });
    viewer.send({ type: 'resume', session_id: sessionId, since_seq: 0 });
    await Promise.all([sender.untilTerminal(), viewer.untilTerminal()]);
    const strip = (events: ChatEvent[]) =>
      events.map(({ seq, kind, text, event_id }) => ({ seq, kind, text, event_id }));
    expect(strip(viewer.events())).toEqual(strip(sender.events()));
    await Promise.all([sender.close(), viewer.close()]);
  });

  it('cancels a turn stuck in `while True` in the sandbox within a second, and the sandbox still works', async () => {
    const sessionId = await sessionWithDocument();
    script(harness, [
      {
        model: PLANNER,
        times: 1,
        reply: {
          text: '',
          toolCalls: [{ name: 'run_python', args: { code: 'x = 7\nwhile True:\n    pass' } }],
        },
      },
      {
        model: PLANNER,
        times: 1,
        reply: { text: '', toolCalls: [{ name: 'run_python', args: { code: 'print("alive", x)' } }] },
      },
      { model: PLANNER, reply: 'done' },
    ]);
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'message', content: 'loop', session_id: sessionId });
    await socket.until(() => socket.events().some((event) => event.kind === 'tool_call'));
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the loop start
    const cancelledAt = performance.now();
    socket.send({ type: 'cancel', session_id: sessionId });
    await socket.untilTerminal();
    expect(performance.now() - cancelledAt).toBeLessThan(1000);
    expect(socket.events().at(-1)!.kind).toBe('cancelled');
    socket.send({ type: 'message', content: 'again', session_id: sessionId });
    await socket.untilTerminal(2);
    const result = socket
      .events()
      .filter((event) => event.kind === 'tool_result')
      .at(-1)!;
    expect(result.payload.output).toBe('alive 7');
    expect(socket.events().at(-1)!.kind).toBe('final');
    const turns = await api(harness, 'GET', `/api/v1/sessions/${sessionId}/turns`);
    expect(turns.body!.items.map((turn: { status: string }) => turn.status)).toEqual([
      'cancelled',
      'completed',
    ]);
    await socket.close();
  });

  it('cancels a turn waiting on a slow model call within a second', async () => {
    const sessionId = await sessionWithDocument();
    script(harness, [{ model: PLANNER, reply: { hang: true } }]);
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'message', content: 'hello', session_id: sessionId });
    await waitFor(() => harness.lm.requests.length > 0);
    const cancelledAt = performance.now();
    socket.send({ type: 'cancel' });
    await socket.untilTerminal();
    expect(performance.now() - cancelledAt).toBeLessThan(1000);
    expect(socket.events().at(-1)).toMatchObject({ kind: 'cancelled' });
    socket.send({ type: 'cancel' });
    await socket.until(() => socket.errors().length > 0);
    expect(socket.errors()[0]!.code).toBe('no_running_turn');
    await socket.close();
  });

  it('runs one turn per session: a second message is refused, a re-sent client_message_id attaches', async () => {
    const sessionId = await sessionWithDocument();
    script(harness, [
      { model: PLANNER, reply: { text: 'slow answer with several words in it', chunkDelayMs: 40 } },
    ]);
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'message', content: 'first', session_id: sessionId, client_message_id: 'same' });
    await socket.until(() => socket.events().some((event) => event.kind === 'assistant_token'));
    socket.send({ type: 'message', content: 'second', session_id: sessionId });
    await socket.until(() => socket.errors().length > 0);
    expect(socket.errors()[0]).toMatchObject({ code: 'turn_in_progress' });
    const reconnect = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    reconnect.send({ type: 'message', content: 'first', session_id: sessionId, client_message_id: 'same' });
    await Promise.all([socket.untilTerminal(), reconnect.untilTerminal()]);
    expect(reconnect.events().map((event) => event.seq)).toEqual(socket.events().map((event) => event.seq));
    const turns = await api(harness, 'GET', `/api/v1/sessions/${sessionId}/turns`);
    expect(turns.body!.items).toHaveLength(1);
    await Promise.all([socket.close(), reconnect.close()]);
  });

  it('answers malformed frames with error envelopes and stays usable', async () => {
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send('{not json');
    socket.send({ type: 'teleport' });
    socket.send({ type: 'resume', session_id: 'x' });
    socket.send({ type: 'message', content: '   ' });
    socket.send(JSON.stringify({ type: 'message', content: 'x'.repeat(1_100_000) }));
    socket.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    await socket.until(() => socket.errors().length >= 6);
    expect(socket.errors().map((error) => error.code)).toEqual([
      'invalid_json',
      'invalid_frame',
      'invalid_frame',
      'invalid_frame',
      'frame_too_large',
      'binary_frame',
    ]);
    expect(socket.errors()[2]!.details).toMatchObject({ issues: [{ path: 'since_seq' }] });
    for (let i = 0; i < 300; i++) socket.send({ type: 'cancel', session_id: 'nope' });
    await socket.until(() => socket.errors().some((error) => error.code === 'rate_limited'));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const sessionId = await sessionWithDocument();
    socket.send({ type: 'command', command: 'list_documents', session_id: sessionId });
    await socket.until(() => socket.frames.some((frame) => frame.type === 'command_result'));
    const result = socket.frames.find((frame) => frame.type === 'command_result') as {
      result: { documents: unknown[] };
    };
    expect(result.result.documents).toHaveLength(1);
    expect((await api(harness, 'GET', '/health')).body).toEqual({ ok: true, version: 'test' });
    await socket.close();
  });

  it('reports a replay gap with the oldest kept seq, then replays from there', async () => {
    const sessionId = await sessionWithDocument();
    script(harness, [{ model: PLANNER, reply: 'one two three four five six seven eight' }]);
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'message', content: 'hi', session_id: sessionId });
    await socket.untilTerminal();
    const total = socket.events().length;
    await harness.server.store.trimEvents(sessionId, 'chat', 3);
    const late = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    late.send({ type: 'resume', session_id: sessionId, since_seq: 1 });
    await late.untilTerminal();
    expect(late.errors()[0]).toMatchObject({
      code: 'replay_gap',
      details: { oldest_seq: total - 2, requested_since_seq: 1 },
    });
    expect(seqs(late.events())).toEqual([total - 2, total - 1, total]);
    await Promise.all([socket.close(), late.close()]);
  });
});

/**
 * Tool results and partial answers are typed values, rendered as text only where a model or a
 * person reads them: `ok` in a `tool_result` frame comes from what the tool returned, never from
 * the text starting with `[error]`, and a run that ended without SUBMIT is marked
 * `[partial: <reason>]` the same way wherever it is shown (a delegate's answer, `rlm_only`).
 * Through a real server, the scripted model and a real python3 sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptedRequest } from '../support/scripted-lm-server.js';
import {
  api,
  DELEGATE,
  type Harness,
  PLANNER,
  RecordingSocket,
  script,
  startHarness,
} from '../support/server-harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ REACT_MAX_ITERS: '3', RLM_MAX_ITERATIONS: '1' });
});
afterAll(async () => {
  await harness?.close();
});

async function turn(content: string, extra: Record<string, unknown> = {}, documentText?: string) {
  const id = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
  if (documentText)
    await api(harness, 'POST', `/api/v1/sessions/${id}/documents`, { name: 'doc.txt', text: documentText });
  const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
  socket.send({ type: 'message', content, session_id: id, ...extra });
  await socket.untilTerminal();
  await socket.close();
  return socket.events();
}

const results = (events: Awaited<ReturnType<typeof turn>>) =>
  events.filter((event) => event.kind === 'tool_result').map((event) => event.payload);
const call = (name: string, args: Record<string, unknown>) => ({
  model: PLANNER,
  times: 1,
  reply: { text: '', toolCalls: [{ name, args }] },
});
/** What the planner was shown as tool results, in order, over the whole turn. */
const toolMessages = (requests: ScriptedRequest[]) =>
  (requests.at(-1)?.messages ?? [])
    .filter((message) => message.role === 'tool')
    .map((message) => message.content);

describe('tool results', () => {
  it('take ok from the value: text that starts with [error] is a success, code that raised a failure', async () => {
    script(harness, [
      call('run_python', { code: 'print("[error] is only text here")' }),
      call('run_python', { code: 'print("before")\nraise ValueError("boom")' }),
      { model: PLANNER, reply: 'done' },
    ]);
    const events = await turn('run some code');
    const [printed, raised] = results(events);
    expect(printed).toMatchObject({ ok: true, output: '[error] is only text here' });
    expect(raised).toMatchObject({ ok: false });
    expect(String(raised!.output)).toMatch(/^before\n\[error\] Traceback[\s\S]*ValueError: boom$/);
    // The model read the same texts.
    const shown = toolMessages(harness.lm.requests);
    expect(shown[0]).toBe('[error] is only text here');
    expect(shown[1]).toBe(raised!.output);
  });

  it('render a failure as [error] for the model and the frame, with ok false', async () => {
    script(harness, [call('read_document', { alias: 'nope' }), { model: PLANNER, reply: 'done' }]);
    const [result] = results(await turn('read it'));
    expect(result).toMatchObject({ ok: false, output: "[error] no document 'nope'" });
    expect(toolMessages(harness.lm.requests)).toEqual(["[error] no document 'nope'"]);
  });
});

describe('partial answers', () => {
  it('come back from a delegate marked with the reason, as a result that succeeded', async () => {
    script(harness, [
      call('delegate_to_rlm', { task: 'find the code' }),
      { model: DELEGATE, times: 1, reply: "```repl\nprint('still looking')\n```" },
      { model: DELEGATE, reply: '{"answer": "probably 42"}' },
      { model: PLANNER, reply: 'done' },
    ]);
    const [result] = results(await turn('delegate it', {}, 'the code is 42'));
    expect(result).toMatchObject({ ok: true, output: '[partial: max_iterations] probably 42' });
  });

  it('end an rlm_only turn marked the same way, saying why when there is no answer at all', async () => {
    script(harness, [
      { model: PLANNER, times: 1, reply: "```repl\nprint('still looking')\n```" },
      { model: PLANNER, reply: '{"answer": ""}' },
    ]);
    const events = await turn('what is the code?', { execution_mode: 'rlm_only' }, 'the code is 42');
    const final = events.at(-1)!;
    expect(final.kind).toBe('final');
    expect(final.text).toMatch(/^\[partial: max_iterations\] \(no answer: .+\)$/);
  });
});

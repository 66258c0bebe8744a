/**
 * The chat agent's tools, modes and budgets, through a real server: what the planner is
 * offered, what each tool answers, and how the turn ends when the budgets run out.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  harness = await startHarness({
    DELEGATE_MAX_CALLS_PER_TURN: '2',
    DELEGATE_RESULT_TRUNCATION_CHARS: '120',
    REACT_MAX_ITERS: '3',
    AGENT_HISTORY_TURNS: '2',
    RLM_EXECUTE_TIMEOUT: '1',
  });
});
afterAll(async () => {
  await harness?.close();
});

async function session(documentText?: string): Promise<string> {
  const id = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
  if (documentText)
    await api(harness, 'POST', `/api/v1/sessions/${id}/documents`, { name: 'doc.txt', text: documentText });
  return id;
}

async function turn(sessionId: string, content: string, extra: Record<string, unknown> = {}) {
  const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
  socket.send({ type: 'message', content, session_id: sessionId, ...extra });
  await socket.untilTerminal();
  await socket.close();
  return socket.events();
}

const toolNames = (request: ScriptedRequest) =>
  ((request.body as { tools?: Array<{ function: { name: string } }> }).tools ?? [])
    .map((tool) => tool.function.name)
    .sort();
const results = (events: Awaited<ReturnType<typeof turn>>) =>
  events.filter((event) => event.kind === 'tool_result').map((event) => event.payload);
const call = (name: string, args: Record<string, unknown>) => ({
  model: PLANNER,
  times: 1,
  reply: { text: '', toolCalls: [{ name, args }] },
});

describe('chat agent', () => {
  it('offers every tool in auto mode and none of the delegation tools in tools_only', async () => {
    const id = await session();
    script(harness, [{ model: PLANNER, reply: 'ok' }]);
    await turn(id, 'hi');
    expect(toolNames(harness.lm.requests[0]!)).toEqual([
      'delegate_to_rlm',
      'delegate_to_rlm_batched',
      'edit_core_memory',
      'list_documents',
      'load_document',
      'read_document',
      'run_python',
      'search_document',
    ]);
    script(harness, [{ model: PLANNER, reply: 'ok' }]);
    await turn(id, 'again', { execution_mode: 'tools_only' });
    expect(toolNames(harness.lm.requests[0]!)).not.toContain('delegate_to_rlm');
    expect(harness.lm.requests[0]!.messages[0]!.content).toContain('Delegation to RLMs is off');
  });

  it('caps delegations per turn and truncates long delegate answers', async () => {
    const id = await session('some long document');
    const task = (n: number) => ({ name: 'delegate_to_rlm', args: { task: `task ${n}` } });
    script(harness, [
      { model: PLANNER, times: 1, reply: { text: '', toolCalls: [task(1), task(2), task(3)] } },
      { model: DELEGATE, reply: '```repl\nSUBMIT(answer="x" * 500)\n```' },
      { model: PLANNER, reply: 'done' },
    ]);
    const events = await turn(id, 'delegate thrice');
    const outputs = results(events).map((payload) => String(payload.output));
    const refused = outputs.filter((output) => output.startsWith('[error] delegation budget'));
    const answered = outputs.filter((output) => output.startsWith('xxx'));
    expect(refused).toHaveLength(1);
    expect(answered).toHaveLength(2);
    for (const output of answered) expect(output).toBe(`${'x'.repeat(120)}\n[truncated delegate output]`);
    expect(events.at(-1)!.payload).toMatchObject({ delegations: 2 });
  });

  it('past REACT_MAX_ITERS, one last call without tools gives the answer', async () => {
    const id = await session();
    script(harness, [
      {
        model: PLANNER,
        match: (request) => !(request.body as { tools?: unknown }).tools,
        reply: 'Best answer without more tools.',
      },
      { model: PLANNER, reply: { text: 'thinking', toolCalls: [{ name: 'list_documents', args: {} }] } },
    ]);
    const events = await turn(id, 'loop forever');
    expect(events.filter((event) => event.kind === 'tool_call')).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ kind: 'final', text: 'Best answer without more tools.' });
    const last = harness.lm.requests.at(-1)!;
    expect(last.messages.at(-1)!.content).toContain('You have used every step of this turn');
  });

  it('runs the RLM directly in rlm_only mode, over the session documents', async () => {
    const id = await session('alpha beta gamma');
    script(harness, [{ model: PLANNER, reply: '```repl\nSUBMIT(answer=context.split()[1])\n```' }]);
    const events = await turn(id, 'second word?', { execution_mode: 'rlm_only' });
    expect(events.at(-1)).toMatchObject({ kind: 'final', text: 'beta' });
    expect(events.some((event) => event.kind === 'rlm_executing')).toBe(true);
    expect(
      harness.lm.requests.every((request) => (request.body as { tools?: unknown }).tools === undefined),
    ).toBe(true);
    expect(harness.lm.requests[0]!.messages[0]!.content).toContain('Recursive Language Model');
  });

  it('loads, lists, reads and searches documents; a runaway pattern is interrupted', async () => {
    const id = await session();
    const workspace = join(harness.dataDir, 'workspaces', 'default', id);
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, 'facts.txt'), 'first line\nthe answer is 42\nlast line\n');
    // REACT_MAX_ITERS is 3 here: at most three tool steps per turn.
    script(harness, [
      call('load_document', { source: 'facts.txt', alias: 'facts' }),
      call('load_document', { source: '../../../etc/passwd' }),
      call('load_document', { source: 'http://127.0.0.1:9/private' }),
      { model: PLANNER, reply: 'done' },
    ]);
    const first = await turn(id, 'load the documents');
    script(harness, [
      call('list_documents', {}),
      call('read_document', { start: 4, length: 10 }),
      call('search_document', { pattern: 'answer is (\\d+)' }),
      { model: PLANNER, reply: 'done' },
    ]);
    const second = await turn(id, 'use them');
    await api(harness, 'POST', `/api/v1/sessions/${id}/documents`, { name: 'xs.txt', text: 'x'.repeat(40) });
    script(harness, [
      call('search_document', { pattern: '(a+)+$', alias: 'nope' }),
      call('search_document', { pattern: '(x+x+)+y' }),
      { model: PLANNER, reply: 'done' },
    ]);
    const third = await turn(id, 'search slowly');
    const outputs = [...results(first), ...results(second), ...results(third)].map((payload) =>
      String(payload.output),
    );
    expect(outputs[0]).toMatch(/^Loaded 'facts' \(facts\.txt, 38 chars, text\/plain\)/);
    expect(outputs[1]).toMatch(/^\[error\] .*outside/i);
    expect(outputs[2]).toMatch(/^\[error\] .*(private|loopback|blocked)/i);
    expect(outputs[3]).toBe('facts (active): facts.txt, 38 chars, text/plain, from workspace:facts.txt');
    expect(outputs[4]).toBe('[facts: characters 4-14 of 38]\nt line\nthe');
    expect(outputs[5]).toBe('line 2: the answer is 42');
    expect(outputs[6]).toBe("[error] no document 'nope'");
    expect(outputs[7]).toBe('[error] the search took too long (simplify the pattern)');
  });

  it('keeps core memory within its limits and reports updates', async () => {
    const id = await session();
    script(harness, [
      call('edit_core_memory', { section: 'human', content: 'Prefers short answers.', mode: 'replace' }),
      call('edit_core_memory', { section: 'scratchpad', content: 'y'.repeat(1001) }),
      { model: PLANNER, reply: 'noted' },
    ]);
    const events = await turn(id, 'remember me');
    expect(events.find((event) => event.kind === 'memory_update')).toMatchObject({
      text: 'human',
      payload: { content: 'Prefers short answers.' },
    });
    expect(String(results(events)[1]!.output)).toContain('the limit is 1000');
    script(harness, [{ model: PLANNER, reply: 'ok' }]);
    await turn(id, 'next');
    expect(harness.lm.requests[0]!.messages[0]!.content).toContain('Prefers short answers.');
  });

  it('keeps the last turns verbatim and folds older ones into a summary', async () => {
    const id = await session();
    for (const n of [1, 2, 3]) {
      script(harness, [{ model: PLANNER, reply: `answer ${n}` }]);
      await turn(id, `question ${n}`);
    }
    script(harness, [
      {
        model: PLANNER,
        match: (request) => request.messages[0]!.content.startsWith('Summarize this conversation'),
        reply: 'SUMMARY: asked question 1.',
      },
      { model: PLANNER, reply: 'answer 4' },
    ]);
    await turn(id, 'question 4');
    const [summarize, planner] = harness.lm.requests;
    expect(summarize!.messages[1]!.content).toContain('User: question 1');
    const contents = planner!.messages.map((message) => message.content);
    expect(contents[0]).toContain('SUMMARY: asked question 1.');
    expect(contents.slice(1)).toEqual(['question 2', 'answer 2', 'question 3', 'answer 3', 'question 4']);
  });
});

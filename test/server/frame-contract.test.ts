/**
 * The frames of one real turn against the contract (issue 8, item 2; issue 9, item 7): a real
 * server, the real agent, RLM engine and process sandbox, the scripted model server. The turn
 * runs `run_python`, then delegates to an RLM whose code calls `llm_query_batched`, `llm_query`
 * and `sub_rlm`. Checked: the original Workbench's field names beside ours on every chat frame
 * kind, one frame per event, `event_id` on every frame of both sockets, and the execution step
 * tree (turn -> agent step -> tool -> RLM run -> iteration -> code block -> callback -> child run),
 * with each step announced before its children.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatEvent, chatEvent, type EventKind, eventsOf } from '../../src/contract/chat-events.js';
import { type ExecutionStep, type PassiveFrame, passiveFrame } from '../../src/contract/passive-frames.js';
import {
  api,
  asKind,
  DELEGATE,
  type Harness,
  PLANNER,
  RecordingSocket,
  SMALL,
  script,
  startHarness,
} from '../support/server-harness.js';

let harness: Harness;
let events: ChatEvent[];
let passive: PassiveFrame[];
/** The frames as they came over the wire, before any parsing. */
let rawEvents: unknown[];
let rawPassive: unknown[];

const ROOT_CODE = [
  'parts = llm_query_batched(["first?", "second?"])',
  'one = llm_query("third?")',
  'child = sub_rlm("check the total", context)',
  'print("root saw", parts, one, child)',
].join('\n');

beforeAll(async () => {
  // Budgets off their defaults, so the runtime context is seen to report the configured ones.
  harness = await startHarness({ REACT_MAX_ITERS: '12', RLM_MAX_ITERATIONS: '9' });
  const sessionId = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
  const added = await api(harness, 'POST', `/api/v1/sessions/${sessionId}/documents`, {
    name: 'notes.txt',
    text: 'line 1\nthe total is 7\n',
  });
  expect(added.status).toBe(201);
  script(harness, [
    {
      model: PLANNER,
      times: 1,
      reply: {
        text: 'First a check.',
        toolCalls: [{ name: 'run_python', args: { code: 'print("from run_python")' } }],
      },
    },
    {
      model: PLANNER,
      times: 1,
      reply: {
        text: 'Now the document.',
        toolCalls: [{ name: 'delegate_to_rlm', args: { task: 'find the total' } }],
      },
    },
    { model: DELEGATE, times: 1, reply: `Thinking about it.\n\`\`\`repl\n${ROOT_CODE}\n\`\`\`` },
    { model: DELEGATE, times: 1, reply: '```repl\nprint("child here")\nSUBMIT(answer="7")\n```' },
    { model: DELEGATE, times: 1, reply: '```repl\nSUBMIT(answer="7 (checked)")\n```' },
    { model: SMALL, reply: (request) => `small says ${request.messages.at(-1)!.content}` },
    { model: PLANNER, reply: 'The total is 7.' },
  ]);
  const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
  socket.send({ type: 'message', content: 'What is the total?', session_id: sessionId });
  await socket.untilTerminal();
  await socket.close();
  rawEvents = socket.frames.filter((frame) => frame.type === 'event').map((frame) => frame.data);
  events = rawEvents.map((frame) => chatEvent.parse(frame));
  const viewer = await RecordingSocket.open(
    `${harness.wsUrl}/api/v1/ws/execution/events?session_id=${sessionId}&since_seq=0`,
  );
  await viewer.until(() => viewer.passive().some((frame) => frame.type === 'execution_completed'));
  await viewer.close();
  rawPassive = viewer.frames.filter((frame) => String(frame.type).startsWith('execution_'));
  passive = rawPassive.map((frame) => passiveFrame.parse(frame));
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

const ofKind = <K extends EventKind>(kind: K) => eventsOf(events, kind);
const liveOutput = () =>
  ofKind('status').flatMap((event) => (event.payload.phase === 'sandbox_output' ? [event.payload] : []));

describe('chat frames carry the original Workbench field names beside ours', () => {
  it('sends exactly what the contract says: every frame parses, nothing outside the schemas', () => {
    // zod drops keys a schema does not name: equal means the server sent no field outside it.
    expect(events).toEqual(rawEvents);
    expect(passive).toEqual(rawPassive);
  });

  it('ends with final, one frame per event: seq gap-free, event ids unique', () => {
    expect(events.at(-1)!.kind).toBe('final');
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(new Set(events.map((event) => event.event_id)).size).toBe(events.length);
  });

  it('puts a runtime context on every chat payload', () => {
    for (const event of events) {
      expect(event.payload.runtime, event.kind).toMatchObject({
        depth: expect.any(Number),
        max_depth: 2,
        execution_profile: expect.any(String),
        sandbox_active: expect.any(Boolean),
        effective_max_iters: expect.any(Number),
        execution_mode: 'auto',
        runtime_mode: 'fleet-rlm-ts',
        sandbox_provider: 'process',
      });
    }
    expect(events[0]!.payload.runtime).toMatchObject({
      depth: 0,
      execution_profile: 'ROOT_INTERLOCUTOR',
      sandbox_active: false,
    });
    const [python] = ofKind('tool_result');
    expect(python!.payload.runtime.sandbox_active).toBe(true);
    expect(asKind(events.at(-1), 'final').payload.runtime).toMatchObject({
      execution_profile: 'ROOT_INTERLOCUTOR',
      effective_max_iters: 12,
    });
    const runs = ofKind('rlm_executing');
    expect(
      runs.map(({ payload: { runtime } }) => [
        runtime.depth,
        runtime.execution_profile,
        runtime.effective_max_iters,
      ]),
    ).toEqual([
      [0, 'RLM_ROOT', 9],
      [1, 'RLM_DELEGATE', 9],
    ]);
  });

  it('names tool inputs and outputs as the original does', () => {
    const [python, delegation] = ofKind('tool_call');
    expect(python!.payload).toMatchObject({
      tool_name: 'run_python',
      arguments: { code: 'print("from run_python")' },
      tool_input: { code: 'print("from run_python")' },
      tool_args: { code: 'print("from run_python")' },
    });
    expect(delegation!.payload.tool_input).toEqual({ task: 'find the total' });
    const results = ofKind('tool_result');
    expect(results.map((event) => event.payload.tool_output)).toEqual(
      results.map((event) => event.payload.output),
    );
    expect(results[0]!.payload).toMatchObject({
      ok: true,
      output: 'from run_python',
      call_id: python!.payload.call_id,
    });
  });

  it('sends live sandbox output of both sources as status frames with phase sandbox_output', () => {
    expect(events.map((event) => event.kind)).not.toContain('sandbox_output');
    const byText = (text: string) => liveOutput().find((payload) => payload.stream_text.includes(text));
    const fromTool = byText('from run_python');
    expect(fromTool).toMatchObject({ stream: 'stdout', call_id: ofKind('tool_call')[0]!.payload.call_id });
    expect(fromTool!.run_id).toBeUndefined();
    const frame = ofKind('status').find((event) => event.payload === fromTool)!;
    expect(frame.text).toBe(fromTool!.stream_text);
    expect(byText('root saw')).toMatchObject({ stream: 'stdout', run_id: 'run-1', depth: 0, iteration: 1 });
    expect(byText('child here')).toMatchObject({ run_id: 'run-2', depth: 1, runtime: { depth: 1 } });
  });

  it('tells RLM runs and trajectory steps the way the original reads them', () => {
    expect(ofKind('rlm_executing').map((event) => event.payload.tool_name)).toEqual([
      'delegate_to_rlm',
      'sub_rlm',
    ]);
    const trajectory = ofKind('trajectory_step');
    const first = trajectory.find((event) => event.payload.depth === 0 && event.payload.iteration === 1)!;
    expect(first.payload).toMatchObject({
      step_index: 0,
      reasoning: 'Thinking about it.',
      step_data: {
        index: 0,
        thought: 'Thinking about it.',
        action: expect.any(String),
        tool_name: 'repl',
        tool_input: ROOT_CODE,
        observation: expect.stringContaining('root saw'),
      },
    });
    const child = trajectory.find((event) => event.payload.depth === 1)!;
    expect(child.payload.step_data).toMatchObject({
      index: 0,
      tool_input: expect.stringContaining('child here'),
    });
  });

  it('gives final the MLflow trace id and a final artifact', () => {
    const final = asKind(events.at(-1), 'final');
    expect(final.payload.trace_id).toMatch(/^tr-[0-9a-f]{32}$/);
    expect(final.payload.mlflow_trace_id).toBe(final.payload.trace_id);
    expect(final.payload.final_artifact).toEqual({
      kind: 'assistant_response',
      value: { text: 'The total is 7.', final_markdown: 'The total is 7.' },
      finalization_mode: 'RETURN',
    });
  });
});

describe('the execution stream', () => {
  it('gives every passive frame an event id', () => {
    expect(passive.every((frame) => typeof frame.event_id === 'string' && frame.event_id.length > 0)).toBe(
      true,
    );
    expect(new Set(passive.map((frame) => frame.event_id)).size).toBe(passive.length);
  });

  const steps = () => passive.flatMap((frame) => (frame.type === 'execution_step' ? [frame.step] : []));
  const byId = () => new Map(steps().map((step) => [step.id, step]));
  const parentOf = (step: ExecutionStep) => byId().get(step.parent_id!);
  const codeOf = (step: ExecutionStep) => (step.input as { code?: string } | null)?.code;
  const one = (test: (step: ExecutionStep) => boolean) => {
    const found = steps().filter(test);
    expect(found, JSON.stringify(steps().map((step) => step.label))).toHaveLength(1);
    return found[0]!;
  };

  it('builds one tree: turn -> agent step -> tool -> RLM run -> iteration -> code block -> callback -> child run', () => {
    const turnId = events[0]!.turn_id!;
    const childRun = one((step) => step.label === 'RLM run (depth 1)');
    const subRlm = parentOf(childRun)!;
    expect(subRlm).toMatchObject({ label: 'sub_rlm', type: 'tool' });
    const block = parentOf(subRlm)!;
    expect(block).toMatchObject({ label: 'code block 1', actor_kind: 'sandbox', depth: 0 });
    expect(block.input).toEqual({ code: ROOT_CODE });
    const iteration = parentOf(block)!;
    expect(iteration).toMatchObject({ label: 'RLM iteration 1', type: 'repl' });
    const run = parentOf(iteration)!;
    expect(run).toMatchObject({ label: 'RLM run (depth 0)', actor_kind: 'root_rlm' });
    const tool = parentOf(run)!;
    expect(tool).toMatchObject({ label: 'delegate_to_rlm', type: 'tool' });
    const agentStep = parentOf(tool)!;
    expect(agentStep).toMatchObject({ label: 'agent step 2', type: 'llm' });
    expect(agentStep.parent_id).toBe(`${turnId}:root`);
    const python = one((step) => step.label === 'run_python');
    expect(parentOf(python)).toMatchObject({ label: 'agent step 1' });
  });

  it('parents llm_query calls to the code block that made them, with the model call inside', () => {
    const block = one((step) => step.label === 'code block 1' && codeOf(step) === ROOT_CODE);
    for (const name of ['llm_query', 'llm_query_batched']) {
      const callback = one((step) => step.label === name && step.type === 'llm' && step.input !== null);
      expect(callback.parent_id, name).toBe(block.id);
    }
    const single = one((step) => step.label === 'llm_query' && step.input !== null);
    const calls = steps().filter((step) => step.label === 'lm.llm_query');
    // one for llm_query, two for the batch
    expect(calls).toHaveLength(3);
    expect(calls.filter((step) => step.parent_id === single.id)).toHaveLength(1);
    const batch = one((step) => step.label === 'llm_query_batched' && step.input !== null);
    expect(calls.filter((step) => step.parent_id === batch.id)).toHaveLength(2);
  });

  it('announces every step before its children: iterations and code blocks when they start', () => {
    const seqOf = new Map(
      passive.flatMap((frame) =>
        frame.type === 'execution_step' ? [[frame.step.id, frame.seq] as const] : [],
      ),
    );
    const turnId = events[0]!.turn_id!;
    for (const step of steps()) {
      if (step.parent_id === `${turnId}:root`) continue;
      expect(seqOf.get(step.parent_id!), step.label).toBeLessThan(seqOf.get(step.id)!);
    }
    const iteration = one((step) => step.label === 'RLM iteration 1' && step.depth === 0);
    const block = one((step) => step.label === 'code block 1' && codeOf(step) === ROOT_CODE);
    expect(block.parent_id).toBe(iteration.id);
    // Opened when it starts: before the model call that fills it, long before its code runs.
    expect(seqOf.get(iteration.id)).toBeLessThan(seqOf.get(block.id)!);
    // The iteration's outcome (reasoning, feedback) closes it as a step of its own.
    const done = one((step) => step.label === 'RLM iteration 1 done' && step.depth === 0);
    expect(done.parent_id).toBe(iteration.id);
    expect(done.output).toMatchObject({ reasoning: 'Thinking about it.' });
    expect(seqOf.get(done.id)).toBeGreaterThan(seqOf.get(block.id)!);
  });
});

/**
 * Issue 7, item 5, replayed against the real server: model-written code floods the host from
 * inside the sandbox (forged protocol lines, fd-level writes, a thread left running, a line
 * that never ends, a storm of small frames). The server must stay up and responsive, the turn
 * must end with the cut reported, the replay log and the heap must stay bounded, and the next
 * turn in the same session must work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatEvent, eventsOf } from '../../src/contract/chat-events.js';
import {
  api,
  DELEGATE,
  type Harness,
  PLANNER,
  RecordingSocket,
  script,
  startHarness,
} from '../support/server-harness.js';

const MB = 1024 * 1024;

const FORGED_OUTPUT_LINES = [
  'import sys, json',
  'd = sys.stdout._driver',
  'me = d.current().id',
  'line = json.dumps({"type": "output", "id": me, "stream": "stdout", "text": "A" * (16 << 20)})',
  'for _ in range(20):',
  '    d.transport.send(line)',
].join('\n');

const FD_WRITE_FLOOD = [
  'import os',
  'chunk = b"x" * (1 << 20)',
  'for _ in range(200):',
  '    os.write(2, chunk)',
].join('\n');

const LEFTOVER_THREAD = [
  'import os, threading, time',
  'def tick():',
  '    while True:',
  '        os.write(2, b"tick " * 1000)',
  '        time.sleep(0.001)',
  'threading.Thread(target=tick, daemon=True).start()',
  'print("thread started")',
].join('\n');

/** Samples the heap while `work` runs; returns the largest growth over the starting figure. */
async function peakHeapGrowth(work: () => Promise<void>): Promise<number> {
  const start = process.memoryUsage().heapUsed;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().heapUsed) - start;
}

/** Every persisted frame of the session, both streams, in bytes. */
async function persistedBytes(harness: Harness, sessionId: string): Promise<number> {
  const { store } = harness.server.context;
  let total = 0;
  for (const stream of ['chat', 'passive'] as const) {
    for (const row of await store.readEvents(sessionId, stream, 0, 1_000_000)) {
      total += (row.frameJson ?? JSON.stringify(row.frame)).length;
    }
  }
  return total;
}

async function healthMs(harness: Harness): Promise<number> {
  const started = performance.now();
  const health = await api(harness, 'GET', '/health');
  expect(health.status).toBe(200);
  return performance.now() - started;
}

async function newSession(harness: Harness, withDocument = false): Promise<string> {
  const created = await api(harness, 'POST', '/api/v1/sessions', {});
  const id = created.body!.id as string;
  if (withDocument) {
    const added = await api(harness, 'POST', `/api/v1/sessions/${id}/documents`, {
      name: 'notes.txt',
      text: 'the code=42 is here',
    });
    expect(added.status).toBe(201);
  }
  return id;
}

/** One turn whose planner runs `code` with run_python, then answers `done`. */
function runPythonScript(code: string) {
  return [
    { model: PLANNER, times: 1, reply: { text: '', toolCalls: [{ name: 'run_python', args: { code } }] } },
    { model: PLANNER, times: 1, reply: 'done' },
  ];
}

/** Sends a message on a fresh socket and waits for the turn's terminal event. */
async function turn(harness: Harness, sessionId: string, content: string): Promise<ChatEvent[]> {
  const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
  socket.send({ type: 'message', content, session_id: sessionId });
  await socket.untilTerminal(1, 120_000);
  await socket.close();
  return socket.events();
}

/** What the planner was shown of the tool results (in full, not the frame's preview). */
function plannerSaw(harness: Harness): string {
  const last = harness.lm.requests.filter((request) => request.model === PLANNER).at(-1);
  return (last?.messages ?? [])
    .filter((message) => message.role === 'tool')
    .map((message) => message.content)
    .join('\n');
}

function toolOutput(events: ChatEvent[]): string {
  const result = events.filter((event) => event.kind === 'tool_result').at(-1);
  return String(result?.payload.output ?? '');
}

/** The next turn in the same session runs code and answers. */
async function nextTurnWorks(harness: Harness, sessionId: string): Promise<void> {
  script(harness, runPythonScript('print(6 * 7)'));
  const events = await turn(harness, sessionId, 'again');
  expect(events.at(-1)?.kind).toBe('final');
  expect(toolOutput(events)).toContain('42');
}

describe('process sandbox: a sandbox cannot crash or flood the host', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      SANDBOX_PROVIDER: 'process',
      SANDBOX_MAX_OUTPUT_BYTES: String(16 * MB),
      TURN_MAX_OUTPUT_EVENTS: '100',
    });
  });
  afterAll(() => harness?.close());

  it.each([
    ['20 forged 16 MB output lines', FORGED_OUTPUT_LINES],
    ['a 200 MB os.write flood on fd 2', FD_WRITE_FLOOD],
  ])('stops %s at the output cap; frames and heap stay bounded', async (_name, code) => {
    const sessionId = await newSession(harness);
    script(harness, runPythonScript(code));
    let events: ChatEvent[] = [];
    const growth = await peakHeapGrowth(async () => {
      events = await turn(harness, sessionId, 'flood');
    });
    expect(events.at(-1)?.kind).toBe('final');
    expect(toolOutput(events)).toContain('output limit of 16 MB reached; the execution was stopped');
    expect(plannerSaw(harness)).toContain('output limit of 16 MB reached; the execution was stopped');
    expect(await persistedBytes(harness, sessionId)).toBeLessThan(4 * MB);
    expect(growth).toBeLessThan(300 * MB);
    expect(await healthMs(harness)).toBeLessThan(2000);
    await nextTurnWorks(harness, sessionId);
  });

  it('stops a thread the code left running before the next execution, and says so', async () => {
    const sessionId = await newSession(harness);
    script(harness, runPythonScript(LEFTOVER_THREAD));
    const events = await turn(harness, sessionId, 'thread');
    expect(events.at(-1)?.kind).toBe('final');
    const output = toolOutput(events);
    expect(output).toContain('thread started');
    expect(output).toContain('left 1 thread running');
    expect(plannerSaw(harness)).toContain('left 1 thread running');
    const before = await persistedBytes(harness, sessionId);
    await new Promise((resolve) => setTimeout(resolve, 500)); // a live thread would keep writing
    expect(await persistedBytes(harness, sessionId)).toBe(before);
    script(harness, runPythonScript('import threading\nprint("threads", threading.active_count())'));
    const next = await turn(harness, sessionId, 'count');
    expect(toolOutput(next)).toContain('threads 1');
    expect(toolOutput(next)).not.toContain('tick');
  });

  it('bounds the live sandbox output frames of a turn and says where it cut', async () => {
    const sessionId = await newSession(harness);
    // 255 flushes of 4 KB each: about 1 MB of live output in far more frames than the budget.
    script(harness, runPythonScript('for i in range(255):\n    print(str(i) * 4100)'));
    const events = await turn(harness, sessionId, 'chatty');
    expect(events.at(-1)?.kind).toBe('final');
    const outputs = eventsOf(events, 'status').flatMap((event) =>
      event.payload.phase === 'sandbox_output' ? [{ text: event.text, payload: event.payload }] : [],
    );
    expect(outputs.length).toBeGreaterThan(50);
    expect(outputs.length).toBeLessThanOrEqual(101);
    const notices = outputs.filter((event) => event.payload.notice === 'turn_output_limit');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain('live output limit of this turn reached');
    expect(outputs.at(-1)).toBe(notices[0]);
    await nextTurnWorks(harness, sessionId);
  });
});

describe('pyodide sandbox: a sandbox cannot crash or flood the host', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      SANDBOX_PROVIDER: 'pyodide',
      SANDBOX_MAX_OUTPUT_BYTES: String(16 * MB),
      SANDBOX_MAX_LINE_BYTES: String(32 * MB),
    });
  });
  afterAll(() => harness?.close());

  /** The planner delegates; the RLM's first iteration runs `code`, the second submits. */
  function delegationScript(code: string) {
    return [
      {
        model: PLANNER,
        times: 1,
        reply: { text: '', toolCalls: [{ name: 'delegate_to_rlm', args: { task: 'find the code' } }] },
      },
      { model: DELEGATE, times: 1, reply: `\`\`\`repl\n${code}\n\`\`\`` },
      { model: DELEGATE, times: 1, reply: '```repl\nSUBMIT(answer="cut short")\n```' },
      { model: PLANNER, reply: 'done' },
    ];
  }

  function trajectoryErrors(events: ChatEvent[]): string {
    return events
      .filter((event) => event.kind === 'trajectory_step')
      .flatMap((event) => event.payload.errors as string[])
      .join('\n');
  }

  it('stops 20 forged 16 MB output lines from an RLM iteration at the output cap', async () => {
    const sessionId = await newSession(harness, true);
    script(harness, delegationScript(FORGED_OUTPUT_LINES));
    let events: ChatEvent[] = [];
    const growth = await peakHeapGrowth(async () => {
      events = await turn(harness, sessionId, 'flood');
    });
    expect(events.at(-1)?.kind).toBe('final');
    expect(trajectoryErrors(events)).toContain('output limit of 16 MB reached; the execution was stopped');
    expect(toolOutput(events)).toBe('cut short');
    expect(await persistedBytes(harness, sessionId)).toBeLessThan(4 * MB);
    expect(growth).toBeLessThan(300 * MB);
    expect(await healthMs(harness)).toBeLessThan(2000);
    await nextTurnWorks(harness, sessionId);
  });

  it('drops a 40 MB protocol line (over the line cap) and restarts the sandbox', async () => {
    const sessionId = await newSession(harness, true);
    const code = ['import sys', 'd = sys.stdout._driver', 'd.transport.send("{" + "B" * (40 << 20))'].join(
      '\n',
    );
    script(harness, delegationScript(code));
    let events: ChatEvent[] = [];
    const growth = await peakHeapGrowth(async () => {
      events = await turn(harness, sessionId, 'long line');
    });
    expect(events.at(-1)?.kind).toBe('final');
    expect(trajectoryErrors(events)).toContain('larger than 32 MB');
    expect(await persistedBytes(harness, sessionId)).toBeLessThan(4 * MB);
    expect(growth).toBeLessThan(300 * MB);
    expect(await healthMs(harness)).toBeLessThan(2000);
    await nextTurnWorks(harness, sessionId);
  });
});

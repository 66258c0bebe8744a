/**
 * Attack: a model provider that echoes the API key in its error put the key verbatim into the
 * turn's `error` frame (kept in the replay log and replayed to every later reader) and into the
 * server log; `?access_token=` was logged verbatim with the request URL.
 *
 * Now error frames, error envelopes, HTTP error bodies and log lines go through the same
 * redactor as spans: configured secrets, bearer tokens and `access_token` query values.
 */
import { format } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureProcessOutput } from '../support/capture-output.js';
import {
  api,
  DELEGATE,
  type Harness,
  PLANNER,
  RecordingSocket,
  startHarness,
} from '../support/server-harness.js';

// No well-known key format: only the configured-secret layer can catch it.
const API_KEY = 'plain-provider-credential-7f3a9c51d2';
const OPAQUE_TOKEN = 'opaque-session-credential-4b8e2d91';
let harness: Harness;
let serverLog = '';

beforeAll(async () => {
  harness = await startHarness(
    { DSPY_LLM_API_KEY: API_KEY },
    {
      logger: {
        level: 'info',
        stream: {
          write: (line: string) => {
            serverLog += line;
          },
        },
      },
    },
  );
});
afterAll(async () => {
  await harness?.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** What goes to the console (libraries print errors there), captured until restoreAllMocks. */
function captureConsole(): { text: string } {
  const captured = { text: '' };
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      captured.text += `${format(...args)}\n`;
    });
  }
  return captured;
}

describe('secrets at the edges', () => {
  it('keeps a key the provider echoes out of the error frame, its replay and the logs', async () => {
    const output = captureProcessOutput();
    const console = captureConsole();
    harness.lm.script([
      {
        reply: {
          status: 401,
          errorBody: {
            error: {
              message: `Incorrect API key provided: ${API_KEY}. You can find your API key at https://example.com.`,
              type: 'invalid_request_error',
              code: 'invalid_api_key',
            },
          },
        },
      },
    ]);
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'message', content: 'hello' });
    await socket.untilTerminal();
    const terminal = socket.events().at(-1)!;
    expect(terminal.kind).toBe('error');
    // Still says what went wrong and what to check, only without the key.
    expect(terminal.text).toMatch(/HTTP 401/);
    expect(terminal.text).toMatch(/<redacted>/);
    expect(terminal.text).toMatch(/DSPY_LLM_API_KEY/);
    expect(JSON.stringify(socket.frames)).not.toContain(API_KEY);
    await socket.close();

    const replay = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    replay.send({ type: 'resume', session_id: terminal.session_id, since_seq: 0 });
    await replay.untilTerminal();
    expect(replay.events().at(-1)!.kind).toBe('error');
    expect(JSON.stringify(replay.frames)).not.toContain(API_KEY);
    await replay.close();

    const turns = await api(harness, 'GET', `/api/v1/sessions/${terminal.session_id}/turns`);
    expect(JSON.stringify(turns.body)).not.toContain(API_KEY);
    vi.restoreAllMocks();
    // The failure is logged (the test looks at the right output), without the key.
    expect(output.stderr).toMatch(/failed \(llm_error\)/);
    expect(output.stderr + output.stdout + console.text + serverLog).not.toContain(API_KEY);
  });

  it('keeps an echoed key out of a failed delegation: its tool result, its frames and the next prompt', async () => {
    const echoed = {
      status: 401,
      errorBody: {
        error: { message: `Incorrect API key provided: ${API_KEY}.`, type: 'invalid_request_error' },
      },
    };
    harness.lm.script([
      // The planner delegates; the delegate's call fails echoing the key; the planner answers.
      {
        model: PLANNER,
        match: (request) => request.messages.at(-1)?.role === 'tool',
        reply: 'The delegation failed.',
      },
      {
        model: PLANNER,
        reply: { text: '', toolCalls: [{ name: 'delegate_to_rlm', args: { task: 'count' } }] },
      },
      { model: DELEGATE, reply: echoed },
    ]);
    const session = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id;
    await api(harness, 'POST', `/api/v1/sessions/${session}/documents`, { name: 'a.txt', text: 'a b c' });
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'message', content: 'count please', session_id: session });
    await socket.untilTerminal();
    const result = socket.events().find((event) => event.kind === 'tool_result');
    expect(String(result?.payload.output)).toMatch(/HTTP 401/);
    expect(JSON.stringify(socket.frames)).not.toContain(API_KEY);
    const plannerPrompts = harness.lm.requests.filter((request) => request.model === PLANNER);
    expect(plannerPrompts.at(-1)!.messages.at(-1)!.content).toMatch(/<redacted>/);
    expect(JSON.stringify(plannerPrompts.map((request) => request.messages))).not.toContain(API_KEY);
    await socket.close();
  });

  it('keeps ?access_token= values out of the request log', async () => {
    serverLog = '';
    const socket = await RecordingSocket.open(
      `${harness.wsUrl}/api/v1/ws/execution?access_token=${OPAQUE_TOKEN}`,
    );
    await socket.close();
    await api(harness, 'GET', `/api/v1/sessions?access_token=${OPAQUE_TOKEN}&limit=5`);
    // The request lines are there (so the test looks at the right log), without the token.
    expect(serverLog).toContain('/api/v1/ws/execution?access_token=<redacted>');
    expect(serverLog).toContain('access_token=<redacted>&limit=5');
    expect(serverLog).not.toContain(OPAQUE_TOKEN);
  });

  it('keeps configured secrets out of HTTP error bodies', async () => {
    const response = await api(harness, 'GET', `/api/v1/no-such-route/${API_KEY}`);
    expect(response.status).toBe(404);
    expect(response.body?.message).toContain('<redacted>');
    expect(JSON.stringify(response.body)).not.toContain(API_KEY);
  });
});

/**
 * The frame payload fields fleet-rlm (Python)'s Workbench reads, on a turn that runs code, streams
 * sandbox output and delegates to an RLM. Derived from its source (Qredence/fleet-rlm,
 * src/frontend at 3dc2a46): src/lib/workspace/backend-chat-event-adapter.ts (`rlm_executing`
 * reads `tool_name`; `final`), backend-chat-event-tool-parts.ts (`tool_name`,
 * `tool_input`/`tool_args`, `tool_output`/`output`, `ok`; live output as `status` with
 * `phase: "sandbox_output"`, `stream_text`, `stream`), backend-chat-event-trajectory.ts
 * (`step_index` with `step_data` or flat fields), use-workspace-runtime.ts (`payload.runtime`
 * with numeric `depth` and `max_depth` feeds the context panel), src/lib/rlm-api/ws-frame-parser.ts
 * (`event_id`, used as React keys) and the `final` payload's `mlflow_trace_id`.
 *
 * These frames are built by the typed-contract work on the frame payloads; until that is merged
 * this file failed (6 of 6); they are in now. The conversation itself is in `original-workbench.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../src/server/auth/dev-token.js';
import { DELEGATE, type Harness, PLANNER, script, startHarness } from '../support/server-harness.js';
import { OriginalClient, WORKBENCH_ORIGIN } from './original-client.js';

const SECRET = 'a-long-test-secret-that-is-not-the-default-value';
const PRINTED = 'sandbox says hi';

let harness: Harness;
/**
 * A chat event as the original's JavaScript sees it: untyped JSON it reads field by field (our
 * own clients read the typed contract instead).
 */
interface RawChatEvent {
  kind: string;
  text: string;
  event_id?: string;
  // biome-ignore lint/suspicious/noExplicitAny: the original reads frames as untyped JSON
  payload: Record<string, any>;
}
let chat: RawChatEvent[];
let passive: Array<Record<string, unknown>>;

beforeAll(async () => {
  harness = await startHarness({
    AUTH_REQUIRED: 'true',
    DEV_JWT_SECRET: SECRET,
    CORS_ALLOWED_ORIGINS: WORKBENCH_ORIGIN,
  });
  const token = await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'alice' });
  const client = new OriginalClient({ url: harness.url, token });
  const events = await client.openEventsSocket();

  script(harness, [{ model: PLANNER, reply: 'Ready.' }]);
  const first = await client.sendMessage('Hello');
  await OriginalClient.untilDone(first);

  // Not something the Workbench can do (its attachments are "coming soon"): a document for the
  // delegation to read, added through our own API.
  const added = await client.http('POST', `/api/v1/sessions/${client.sessionId}/documents`, {
    name: 'notes.txt',
    text: 'header\nthe code=42 is here\nfooter',
  });
  expect(added.status).toBe(201);

  script(harness, [
    {
      model: PLANNER,
      times: 1,
      reply: { text: '', toolCalls: [{ name: 'run_python', args: { code: `print('${PRINTED}')` } }] },
    },
    {
      model: PLANNER,
      times: 1,
      reply: {
        text: 'Now delegate.',
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
    { model: PLANNER, reply: 'The code is 42.' },
  ]);
  const second = await client.sendMessage('Run something, then find the code in my notes');
  await OriginalClient.untilDone(second);
  expect(second.errors()).toEqual([]);
  await events.until(
    () => events.passive().filter((frame) => frame.type === 'execution_completed').length === 2,
  );
  await events.close();
  chat = [...first.events(), ...second.events()];
  passive = events.passive() as unknown as Array<Record<string, unknown>>;
});
afterAll(async () => {
  await harness?.close();
});

const ofKind = (kind: string) => chat.filter((event) => event.kind === kind);
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

describe('frames as the original Workbench reads them', () => {
  it('gives every passive frame a unique event_id', () => {
    const ids = passive.map((frame) => frame.event_id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('names tools and their inputs and outputs under its field names', () => {
    const calls = ofKind('tool_call');
    expect(calls.map((event) => event.payload.tool_name)).toEqual(
      expect.arrayContaining(['run_python', 'delegate_to_rlm']),
    );
    for (const call of calls) {
      expect(typeof call.payload.tool_name, JSON.stringify(call.payload)).toBe('string');
      expect(call.payload.tool_input ?? call.payload.tool_args, JSON.stringify(call.payload)).toBeDefined();
    }
    const results = ofKind('tool_result');
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) {
      expect(typeof result.payload.tool_name, JSON.stringify(result.payload)).toBe('string');
      expect(
        result.payload.tool_output ?? result.payload.output,
        JSON.stringify(result.payload),
      ).toBeDefined();
      expect(typeof result.payload.ok).toBe('boolean');
    }
  });

  it('streams live sandbox output as status frames, one frame per piece of output', () => {
    const live = chat.filter(
      (event) =>
        (event.kind === 'status' && event.payload.phase === 'sandbox_output') ||
        event.kind === 'sandbox_output',
    );
    const printed = live.filter((event) =>
      String(event.payload.stream_text ?? event.text ?? '').includes(PRINTED),
    );
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatchObject({
      kind: 'status',
      payload: { phase: 'sandbox_output', stream: 'stdout' },
    });
    expect(String(printed[0]!.payload.stream_text)).toContain(PRINTED);
  });

  it('names the tool of rlm_executing and numbers trajectory steps with their data', () => {
    const executing = ofKind('rlm_executing');
    expect(executing.length).toBeGreaterThan(0);
    for (const event of executing) expect(event.payload.tool_name).toEqual(expect.any(String));
    const steps = ofKind('trajectory_step');
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      expect(step.payload.step_index, JSON.stringify(step.payload)).toEqual(expect.any(Number));
      const data = isRecord(step.payload.step_data) ? step.payload.step_data : step.payload;
      expect(typeof data.thought, JSON.stringify(step.payload)).toBe('string');
      expect(data.tool_input ?? data.input ?? data.tool_args, JSON.stringify(step.payload)).toBeDefined();
      expect(data.observation ?? data.output ?? data.tool_output, JSON.stringify(step.payload)).toBeDefined();
    }
  });

  it('carries the runtime context its context panel shows', () => {
    for (const event of [...ofKind('tool_call'), ...ofKind('rlm_executing'), ...ofKind('trajectory_step')]) {
      const runtime = event.payload.runtime;
      expect(isRecord(runtime), `${event.kind}: ${JSON.stringify(event.payload)}`).toBe(true);
      expect(runtime).toMatchObject({
        depth: expect.any(Number),
        max_depth: expect.any(Number),
        execution_mode: 'auto',
      });
    }
  });

  it("puts the trace id in the final frame's mlflow_trace_id", () => {
    const finals = ofKind('final');
    expect(finals).toHaveLength(2);
    for (const final of finals) {
      expect(final.payload.mlflow_trace_id).toEqual(expect.any(String));
      expect(final.payload.mlflow_trace_id).toBe(final.payload.trace_id);
    }
  });
});

/**
 * One trace per turn, end to end: a real server (real agent, RLM engine, process sandbox) with
 * the scripted model server, exporting to a real MLflow started from the project venv. Checks
 * the span tree of a turn with a delegation, a sub_rlm and a batched llm_query, the listing by
 * session, feedback visible through MLflow's own REST API, recovery after MLflow is stopped and
 * restarted, PostHog events against a local capture server, and planted-secret redaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpanNode } from '../../src/contract/trace-schemas.js';
import { mintDevToken } from '../../src/server/auth/dev-token.js';
import { CaptureServer } from '../analytics/capture-server.js';
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
  waitFor,
} from '../support/server-harness.js';
import { mlflowAvailable, startTestMlflow, type TestMlflow } from './mlflow/support/mlflow-test-server.js';

const SECRET = 'a-long-test-secret-for-tracing-tests';
/** The planner's API key: a configured secret that must never leave the process. */
const PLANNER_KEY = 'sk-planted-planner-key-7f3a9c21d4e8';
/** A key a user pastes into a message: caught by the key patterns. */
const PASTED_KEY = 'sk-proj-PastedByTheUser0123456789abcdef';

// Response bodies are checked field by field; `any` keeps that terse.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Body = Record<string, any>;

let mlflow: TestMlflow;
let capture: CaptureServer;
let harness: Harness;
let alice: Record<string, string>;
let bob: Record<string, string>;

beforeAll(async () => {
  mlflow = await startTestMlflow();
  capture = await CaptureServer.start();
  harness = await startHarness({
    DEV_JWT_SECRET: SECRET,
    DSPY_LLM_API_KEY: PLANNER_KEY,
    MLFLOW_ENABLED: 'true',
    MLFLOW_TRACKING_URI: mlflow.url,
    MLFLOW_AUTO_START: 'false',
    MLFLOW_RECHECK_INTERVAL: '0.2',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    POSTHOG_ENABLED: 'true',
    POSTHOG_API_KEY: 'phc_test_project_key_123456',
    POSTHOG_HOST: capture.url,
    POSTHOG_FLUSH_AT: '1',
  });
  alice = { authorization: `Bearer ${await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'alice' })}` };
  bob = { authorization: `Bearer ${await mintDevToken(SECRET, { workspaceId: 'acme', userId: 'bob' })}` };
}, 180_000);

afterAll(async () => {
  await harness?.close();
  await capture?.close();
  await mlflow?.dispose();
});

async function newSession(document?: string): Promise<string> {
  const id = (await api(harness, 'POST', '/api/v1/sessions', {}, alice)).body!.id as string;
  if (document) {
    const added = await api(
      harness,
      'POST',
      `/api/v1/sessions/${id}/documents`,
      { name: 'log.txt', text: document },
      alice,
    );
    expect(added.status).toBe(201);
  }
  return id;
}

/** Sends a message as alice and returns the terminal event. */
async function turn(sessionId: string, content: string) {
  const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, alice);
  socket.send({ type: 'message', content, session_id: sessionId });
  await socket.untilTerminal();
  await socket.close();
  return asKind(socket.events().at(-1), 'final');
}

async function mlflowGet(path: string) {
  const response = await fetch(`${mlflow.url}${path}`);
  expect(response.status, `${path}: ${response.status}`).toBe(200);
  return (await response.json()) as Body;
}

function walk(nodes: SpanNode[], visit: (node: SpanNode, depth: number) => void, depth = 0): void {
  for (const node of nodes) {
    visit(node, depth);
    walk(node.children, visit, depth + 1);
  }
}

const postFeedback = (body: Record<string, unknown>, who: Record<string, string>) =>
  api(harness, 'POST', '/api/v1/traces/feedback', body, who);

/** Reads until `done` holds or 15 s pass; returns the last read (the caller asserts on it). */
async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    value = await read();
  }
  return value;
}

const child = (node: SpanNode, name: string) => node.children.filter((item) => item.name === name);

describe.skipIf(!mlflowAvailable)('one trace per turn, in MLflow and the embedded store', () => {
  let sessionId: string;
  let traceId: string;
  let turnId: string;

  it('traces a turn with a delegation, a sub_rlm and a batched llm_query as one nested tree', async () => {
    sessionId = await newSession('line 1\nline 2\nthe total is 7\n');
    script(harness, [
      {
        model: PLANNER,
        times: 1,
        reply: {
          text: 'Delegating.',
          toolCalls: [{ name: 'delegate_to_rlm', args: { task: 'find the total' } }],
        },
      },
      {
        model: DELEGATE,
        times: 1,
        reply:
          '```repl\nparts = llm_query_batched(["first?", "second?"])\nchild = sub_rlm("check the total", context)\nprint(parts, child)\n```',
      },
      { model: DELEGATE, times: 1, reply: '```repl\nSUBMIT(answer="7 (checked)")\n```' },
      { model: DELEGATE, times: 1, reply: '```repl\nSUBMIT(answer="7")\n```' },
      { model: SMALL, reply: (request) => `small says ${request.messages.at(-1)!.content}` },
      { model: PLANNER, reply: `The total is 7. (By the way, ${PASTED_KEY} was in your notes.)` },
    ]);
    const final = await turn(sessionId, `What is the total? My key is ${PASTED_KEY}`);
    expect(final.kind).toBe('final');
    traceId = final.payload.trace_id as string;
    expect(traceId).toMatch(/^tr-[0-9a-f]{32}$/);
    const turns = (await api(harness, 'GET', `/api/v1/sessions/${sessionId}/turns`, undefined, alice)).body!;
    turnId = turns.items[0].id;
    expect(turns.items[0].trace_id).toBe(traceId);

    // Found by session through the listing route, from MLflow, exactly one trace.
    const listed = await poll(
      async () => (await api(harness, 'GET', `/api/v1/sessions/${sessionId}/traces`, undefined, alice)).body!,
      (page) => page.items?.length === 1 && page.items[0].status === 'OK',
    );
    expect(listed.source).toBe('mlflow');
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({
      trace_id: traceId,
      session_id: sessionId,
      turn_id: turnId,
      status: 'OK',
    });
    expect(listed.items[0].request_preview).toContain('What is the total?');

    const detail = (await api(harness, 'GET', `/api/v1/traces/${traceId}`, undefined, alice)).body!;
    expect(detail.spans).toHaveLength(1); // one root: nothing orphaned
    const root = detail.spans[0] as SpanNode;
    expect(root).toMatchObject({ name: 'FleetAgent.respond', span_type: 'AGENT', status: 'OK' });
    expect(root.attributes).toMatchObject({
      'session.id': sessionId,
      'user.id': 'alice',
      'fleet_rlm.workspace_id': 'acme',
      'fleet_rlm.turn_id': turnId,
    });
    const iterations = child(root, 'agent.iteration');
    expect(iterations).toHaveLength(2);
    for (const iteration of iterations) {
      expect(iteration.span_type).toBe('CHAIN');
      const [lm] = child(iteration, 'lm.agent.step');
      expect(lm).toMatchObject({ span_type: 'CHAT_MODEL' });
      expect(lm!.attributes['mlflow.llm.model']).toBe(PLANNER);
      expect(lm!.attributes['fleet_rlm.model_role']).toBe('planner');
      expect(
        (lm!.attributes['mlflow.chat.tokenUsage'] as { total_tokens: number }).total_tokens,
      ).toBeGreaterThan(0);
    }
    const [delegate] = child(iterations[0]!, 'delegate_to_rlm');
    expect(delegate).toMatchObject({ span_type: 'TOOL' });
    const [run] = child(delegate!, 'RLM.run');
    expect(run).toMatchObject({ span_type: 'AGENT' });
    const rlmIterations = child(run!, 'RLM.iteration');
    expect(rlmIterations).toHaveLength(2);
    expect(child(rlmIterations[0]!, 'lm.rlm.iteration')).toHaveLength(1);
    const [execute] = child(rlmIterations[0]!, 'sandbox.execute');
    expect(execute).toMatchObject({ span_type: 'TOOL' });
    // Host callbacks arrive over the sandbox bridge and still nest under their execution.
    const [batch] = child(execute!, 'llm_query_batched');
    const items = batch!.children.filter((item) => item.name.startsWith('llm_query_batched['));
    expect(items.map((item) => item.name).sort()).toEqual(['llm_query_batched[0]', 'llm_query_batched[1]']);
    for (const item of items) {
      const [call] = child(item, 'lm.llm_query');
      expect(call!.attributes['fleet_rlm.model_role']).toBe('delegate_small');
      expect(call!.outputs).toMatchObject({ text: expect.stringMatching(/^small says (first|second)\?$/) });
    }
    const [subRlm] = child(execute!, 'sub_rlm');
    const [childRun] = child(subRlm!, 'RLM.run depth=1');
    expect(childRun!.attributes['fleet_rlm.rlm.depth']).toBe(1);
    expect(child(child(childRun!, 'RLM.iteration')[0]!, 'sandbox.execute')).toHaveLength(1);
    expect(iterations[1]!.children.map((item) => item.name)).toEqual(['lm.agent.step']);

    let count = 0;
    walk(detail.spans, () => count++);
    expect(detail.span_count).toBe(count);

    // MLflow holds the same tree under the same id, filed under the session and the user.
    const fromMlflow = await mlflowGet(`/api/3.0/mlflow/traces/get?trace_id=${traceId}`);
    expect(fromMlflow.trace.spans).toHaveLength(count);
    const info = fromMlflow.trace.trace_info;
    expect(info.trace_metadata['mlflow.trace.session']).toBe(sessionId);
    expect(info.trace_metadata['mlflow.trace.user']).toBe('alice');
    expect(JSON.parse(info.trace_metadata['mlflow.trace.tokenUsage']).total_tokens).toBeGreaterThan(0);
  });

  it('keeps planted secrets out of spans, MLflow and PostHog', async () => {
    const local = JSON.stringify(
      (await api(harness, 'GET', `/api/v1/traces/${traceId}`, undefined, alice)).body,
    );
    const remote = JSON.stringify(await mlflowGet(`/api/3.0/mlflow/traces/get?trace_id=${traceId}`));
    await waitFor(() => capture.events().some((event) => event.properties.$ai_trace_id === traceId));
    const analytics = JSON.stringify(capture.events());
    for (const text of [local, remote, analytics]) {
      expect(text).not.toContain(PLANNER_KEY);
      expect(text).not.toContain(PASTED_KEY);
      expect(text).toContain('What is the total?'); // the rest of the message is kept
    }
  });

  it('sends a PostHog $ai_generation per LM call of the turn, tied to its trace', async () => {
    const generations = capture
      .events()
      .filter((event) => event.event === '$ai_generation' && event.properties.$ai_trace_id === traceId);
    // 2 planner steps, 3 delegate iterations (root 2 + child 1), 2 batched llm_query items.
    expect(generations).toHaveLength(7);
    expect(generations.every((event) => event.properties.$ai_session_id === sessionId)).toBe(true);
    expect(generations.map((event) => event.properties.fleet_role).sort()).toEqual([
      'delegate',
      'delegate',
      'delegate',
      'delegate_small',
      'delegate_small',
      'planner',
      'planner',
    ]);
    const finishedEvent = () =>
      capture
        .events()
        .find((event) => event.event === 'fleet_turn_finished' && event.properties.$ai_trace_id === traceId);
    await waitFor(() => finishedEvent() !== undefined);
    const finished = finishedEvent();
    expect(finished?.properties).toMatchObject({
      status: 'completed',
      session_id: sessionId,
      turn_id: turnId,
    });
    expect(finished?.distinct_id).toBe('alice');
  });

  it('logs feedback as MLflow assessments and keeps it locally; refuses unknown and foreign traces', async () => {
    const posted = await postFeedback(
      {
        turn_id: turnId,
        is_correct: false,
        comment: 'close, but not it',
        expected_response: 'The total is 8.',
      },
      alice,
    );
    expect(posted.status).toBe(200);
    expect(posted.body).toMatchObject({ trace_id: traceId, turn_id: turnId, stored_locally: true });
    expect(posted.body!.mlflow).toMatchObject({ logged: true, error: null });
    expect(posted.body!.mlflow.assessment_ids).toHaveLength(2);

    const info = (await mlflowGet(`/api/3.0/mlflow/traces/${traceId}`)).trace.trace_info;
    const byName = Object.fromEntries(
      (info.assessments as Array<Body>).map((item) => [item.assessment_name, item]),
    );
    expect(byName.response_is_correct.feedback.value).toBe(false);
    expect(byName.response_is_correct.rationale).toBe('close, but not it');
    expect(byName.response_is_correct.source).toMatchObject({ source_type: 'HUMAN', source_id: 'alice' });
    expect(byName.expected_response.expectation.value).toBe('The total is 8.');

    const byTrace = await postFeedback({ trace_id: traceId, is_correct: true }, alice);
    expect(byTrace.status).toBe(200);
    expect(byTrace.body!.turn_id).toBe(turnId);

    const unknown = await postFeedback({ trace_id: 'tr-0000', is_correct: true }, alice);
    expect(unknown.status).toBe(404);
    expect(unknown.body!.code).toBe('trace_not_found');
    // Someone else's turn or trace is answered like an unknown one (test/security/ownership.test.ts).
    const foreign = await postFeedback({ turn_id: turnId, is_correct: true }, bob);
    expect([foreign.status, foreign.body!.code]).toEqual([404, 'turn_not_found']);
    expect((await api(harness, 'GET', `/api/v1/traces/${traceId}`, undefined, bob)).status).toBe(404);
    expect((await api(harness, 'GET', '/api/v1/traces/tr-ffff', undefined, alice)).status).toBe(404);
    const neither = await postFeedback({ is_correct: true }, alice);
    expect(neither.status).toBe(400);
  });

  it('keeps answering while MLflow is down, reports degraded with a hint, and traces again after a restart', async () => {
    const session = await newSession();
    script(harness, [{ model: PLANNER, reply: 'Still here.' }]);
    await mlflow.server.stop();

    const during = await turn(session, 'are you there?');
    expect(during.kind).toBe('final');
    expect(during.text).toBe('Still here.');
    const runtimeStatus = async () =>
      (await api(harness, 'GET', '/api/v1/runtime/status', undefined, alice)).body!;
    let status = await poll(runtimeStatus, (body) => body.mlflow.startup_status === 'degraded');
    expect(status.mlflow.startup_status).toBe('degraded');
    expect(status.mlflow.startup_error).toMatch(/mlflow/i);
    // The turn's trace is still viewable, from the embedded store.
    const downTrace = during.payload.trace_id as string;
    const local = await api(harness, 'GET', `/api/v1/traces/${downTrace}`, undefined, alice);
    expect(local.status).toBe(200);
    expect(local.body!.trace.source).toBe('local');
    const listing = (await api(harness, 'GET', `/api/v1/sessions/${session}/traces`, undefined, alice)).body!;
    expect(listing.source).toBe('local');
    expect(listing.items.map((item: { trace_id: string }) => item.trace_id)).toEqual([downTrace]);

    mlflow = await startTestMlflow({ port: mlflow.port, dir: mlflow.dir });
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the degraded re-check interval
    const after = await turn(session, 'and now?');
    const afterTrace = after.payload.trace_id as string;
    const found = await poll(
      async () => (await fetch(`${mlflow.url}/api/3.0/mlflow/traces/${afterTrace}`)).status,
      (code) => code === 200,
    );
    expect(found).toBe(200);
    const missing = await fetch(`${mlflow.url}/api/3.0/mlflow/traces/${downTrace}`);
    expect(missing.status).toBe(404);
    status = await runtimeStatus();
    expect(status.mlflow.startup_status).toBe('ready');
  });

  it('counts turns, LM calls and sandbox executions in /metrics', async () => {
    const response = await fetch(`${harness.url}/metrics`);
    const text = await response.text();
    expect(text).toMatch(/fleet_turns_total\{status="completed"\} [3-9]/);
    expect(text).toMatch(/fleet_lm_calls_total\{role="planner",model="openai\/planner",ok="true"\} \d+/);
    expect(text).toMatch(/fleet_sandbox_executions_total\{provider="process"\} [1-9]/);
    expect(text).toMatch(/fleet_trace_spans_dropped_total\{exporter="embedded"\} 0/);
  });
});

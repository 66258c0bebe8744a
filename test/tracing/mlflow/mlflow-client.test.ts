/**
 * MlflowClient against a real MLflow server (one per file, shared): health and version,
 * experiments, and a trace ingested over OTLP read back through search, get, assessments and
 * tags. These assertions pin the wire behaviour of the installed MLflow (3.17.2 when written).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../../src/tracing/mlflow/mlflow-client.js';
import { MlflowError } from '../../../src/tracing/mlflow/mlflow-error.js';
import { metadataEquals } from '../../../src/tracing/mlflow/search-filter.js';
import { ingestTrace } from './support/ingest-trace.js';
import { mlflowAvailable, startTestMlflow, type TestMlflow } from './support/mlflow-test-server.js';

describe.skipIf(!mlflowAvailable)('MlflowClient against a real MLflow server', () => {
  let mlflow: TestMlflow;
  let client: MlflowClient;
  let experimentId: string;
  let traceId: string;
  const sessionId = `ws-1:user-1:session-${Date.now()}`;
  const inputs = { message: 'What is in the log?', attachments: ['a.txt'], depth: 2 };

  beforeAll(async () => {
    mlflow = await startTestMlflow();
    console.info(`[mlflow-client.test] MLflow started in ${mlflow.startMs} ms`);
    client = new MlflowClient({ trackingUri: mlflow.url });
    experimentId = (await client.getOrCreateExperiment('fleet-rlm-client-test')).experimentId;
    traceId = await ingestTrace(client, experimentId, {
      sessionId,
      userId: 'user-1',
      inputs,
      outputs: { answer: 'two timeouts' },
      rootAttributes: { 'fleet_rlm.turn_id': 'turn-1', 'mlflow.traceTag.fleet_rlm_turn': 'turn-1' },
      childAttributes: {
        'mlflow.chat.tokenUsage': JSON.stringify({ input_tokens: 12, output_tokens: 5, total_tokens: 17 }),
        'mlflow.llm.model': 'openai/gpt-4.1-mini',
      },
    });
  });

  afterAll(async () => {
    await mlflow?.dispose();
  });

  it('answers health and version', async () => {
    expect(await client.health()).toEqual({ ok: true, status: 200, body: 'OK' });
    expect(await client.version()).toMatch(/^3\.\d+\.\d+/);
  });

  it('gets or creates an experiment, with the same id the second time', async () => {
    const first = await client.getOrCreateExperiment('fleet-rlm-twice');
    const second = await client.getOrCreateExperiment('fleet-rlm-twice');
    expect(second.experimentId).toBe(first.experimentId);
    expect(first.lifecycleStage).toBe('active');
    expect(await client.getExperimentByName('no-such-experiment')).toBeUndefined();
  });

  it('resolves concurrent creates of one name from separate clients to one experiment', async () => {
    const clients = Array.from({ length: 6 }, () => new MlflowClient({ trackingUri: mlflow.url }));
    const results = await Promise.all(clients.map((each) => each.getOrCreateExperiment('fleet-rlm-race')));
    expect(new Set(results.map((result) => result.experimentId)).size).toBe(1);
  });

  it('finds the trace by session metadata, as tr-<32 hex>', async () => {
    const found = await client.searchTraces({
      experimentId,
      filter: `metadata.\`mlflow.trace.session\` = '${sessionId}'`,
    });
    expect(found.traces.map((trace) => trace.traceId)).toEqual([traceId]);
    const [info] = found.traces;
    expect(info!.traceId).toMatch(/^tr-[0-9a-f]{32}$/);
    expect(info!.state).toBe('OK');
    expect(info!.experimentId).toBe(experimentId);
    // session.id / user.id on the root span become trace metadata.
    expect(info!.metadata['mlflow.trace.session']).toBe(sessionId);
    expect(info!.metadata['mlflow.trace.user']).toBe('user-1');
    // Token usage of child spans is summed into metadata (keys as MLflow writes them).
    expect(JSON.parse(info!.metadata['mlflow.trace.tokenUsage']!)).toEqual({
      input_tokens: 12,
      output_tokens: 5,
      total_tokens: 17,
    });
    // The root span's inputs/outputs become the previews, as the JSON text we sent.
    expect(JSON.parse(info!.requestPreview!)).toEqual(inputs);
    expect(JSON.parse(info!.responsePreview!)).toEqual({ answer: 'two timeouts' });
    // `mlflow.traceTag.<key>` on the root span becomes a trace tag.
    expect(info!.tags.fleet_rlm_turn).toBe('turn-1');
    expect(info!.requestTimeMs).toBeGreaterThan(Date.now() - 600_000);
    expect(info!.executionDurationMs).toBeGreaterThanOrEqual(0);
  });

  it('filters by user and pages through results', async () => {
    const byUser = await client.searchTraces({
      experimentId,
      filter: "metadata.`mlflow.trace.user` = 'user-1'",
    });
    expect(byUser.traces.map((trace) => trace.traceId)).toContain(traceId);
    const other = await ingestTrace(client, experimentId, {
      sessionId: 'other',
      userId: 'user-2',
      inputs: 'x',
      outputs: 'y',
    });
    const firstPage = await client.searchTraces({
      experimentId,
      maxResults: 1,
      orderBy: ['timestamp_ms DESC'],
    });
    expect(firstPage.traces.map((trace) => trace.traceId)).toEqual([other]);
    expect(firstPage.nextPageToken).toBeTruthy();
    const secondPage = await client.searchTraces({
      experimentId,
      maxResults: 1,
      pageToken: firstPage.nextPageToken,
    });
    expect(secondPage.traces.map((trace) => trace.traceId)).toEqual([traceId]);
  });

  it('matches session ids with quotes, backslashes and LIKE wildcards exactly', async () => {
    const awkward = [`it's`, 'a"b', 'back\\slash', 'end\\', 'x%_y'];
    const ids = await Promise.all(
      awkward.map((session) =>
        ingestTrace(client, experimentId, { sessionId: session, userId: 'u', inputs: 1, outputs: 2 }),
      ),
    );
    for (const [index, session] of awkward.entries()) {
      const found = await client.searchTraces({
        experimentId,
        filter: metadataEquals('mlflow.trace.session', session),
      });
      expect(
        found.traces.map((trace) => trace.traceId),
        session,
      ).toEqual([ids[index]]);
    }
    expect(() => metadataEquals('mlflow.trace.session', `a'b"c`)).toThrow(/both ' and "/);
  });

  it('reads the spans, with inputs decoded once (not double-encoded)', async () => {
    const trace = await client.getTrace(traceId);
    expect(trace.spansIncluded).toBe(true);
    expect(trace.info.traceId).toBe(traceId);
    const root = trace.spans.find((span) => !span.parentSpanId)!;
    const child = trace.spans.find((span) => span.parentSpanId)!;
    expect(trace.spans).toHaveLength(2);
    expect(`tr-${root.traceId}`).toBe(traceId);
    expect(child.parentSpanId).toBe(root.spanId);
    expect(root.name).toBe('FleetAgent.respond');
    expect(root.spanType).toBe('AGENT');
    expect(root.inputs).toEqual(inputs);
    expect(root.outputs).toEqual({ answer: 'two timeouts' });
    expect(root.status).toBe('OK');
    expect(root.attributes['session.id']).toBe(sessionId);
    expect(root.attributes['fleet_rlm.turn_id']).toBe('turn-1');
    expect(child.spanType).toBe('LLM');
    expect(child.inputs).toEqual([{ role: 'user', content: 'hi' }]);
    expect(child.outputs).toBe('hello');
    expect(child.attributes['mlflow.chat.tokenUsage']).toEqual({
      input_tokens: 12,
      output_tokens: 5,
      total_tokens: 17,
    });
    expect(child.endTimeMs).toBeGreaterThanOrEqual(child.startTimeMs);
  });

  it('logs feedback and an expectation that show up in the trace assessments', async () => {
    const feedback = await client.logFeedback(traceId, {
      name: 'response_is_correct',
      value: false,
      sourceId: 'user-1',
      rationale: 'missed the second timeout',
      metadata: { tenant_claim: 'ws-1', attempt: 2 },
    });
    expect(feedback.assessmentId).toMatch(/^a-/);
    expect(feedback.traceId).toBe(traceId);
    await client.logExpectation(traceId, {
      name: 'expected_response',
      value: { answer: 'three timeouts' },
      sourceId: 'user-1',
    });
    await client.logExpectation(traceId, { name: 'expected_text', value: 'three', sourceId: 'user-1' });

    const { info } = await client.getTrace(traceId);
    const byName = Object.fromEntries(info.assessments.map((item) => [item.name, item]));
    expect(byName.response_is_correct).toMatchObject({
      kind: 'feedback',
      value: false,
      rationale: 'missed the second timeout',
      source: { type: 'HUMAN', id: 'user-1' },
      metadata: { tenant_claim: 'ws-1', attempt: '2' },
    });
    expect(byName.expected_response).toMatchObject({
      kind: 'expectation',
      value: { answer: 'three timeouts' },
    });
    expect(byName.expected_text).toMatchObject({ kind: 'expectation', value: 'three' });
    // Search results carry them too.
    const found = await client.searchTraces({
      experimentId,
      filter: `metadata.\`mlflow.trace.session\` = '${sessionId}'`,
    });
    expect(found.traces[0]!.assessments.map((item) => item.name).sort()).toEqual([
      'expected_response',
      'expected_text',
      'response_is_correct',
    ]);
  });

  it('refuses assessment names with a dot before calling MLflow', async () => {
    await expect(
      client.logFeedback(traceId, { name: 'response.correct', value: true, sourceId: 'u' }),
    ).rejects.toMatchObject({
      kind: 'invalid_argument',
    });
  });

  it('sets a tag that shows up in the trace tags', async () => {
    await client.setTag(traceId, 'fleet_rlm.feedback', 'negative');
    const info = await client.getTraceInfo(traceId);
    expect(info.tags['fleet_rlm.feedback']).toBe('negative');
  });

  it('carries the HTTP status and error_code on failures', async () => {
    const missing = await client.getTrace('tr-00000000000000000000000000000000').catch((error) => error);
    expect(MlflowError.isInstance(missing)).toBe(true);
    expect(missing).toMatchObject({
      kind: 'http',
      status: 404,
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      isNotFound: true,
    });
    const badFilter = await client
      .searchTraces({ experimentId, filter: 'bogus = 1' })
      .catch((error) => error);
    expect(badFilter).toMatchObject({ kind: 'http', status: 400, errorCode: 'INVALID_PARAMETER_VALUE' });
    expect(badFilter.message).toContain("Invalid attribute key 'bogus'");
    const noTrace = await client
      .logFeedback('tr-00000000000000000000000000000000', { name: 'x', value: true, sourceId: 'u' })
      .catch((error) => error);
    expect(noTrace).toMatchObject({ status: 404, errorCode: 'RESOURCE_DOES_NOT_EXIST' });
  });
});

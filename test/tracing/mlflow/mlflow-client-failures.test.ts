/**
 * MlflowClient with a scripted `fetch`: the failure paths a healthy real server will not show —
 * auth hints, timeouts, a foreign server's HTML, the create race, a deleted experiment, the
 * `/traces/get` 500 fallback — and what goes on the wire (auth header, string metadata).
 */
import { describe, expect, it } from 'vitest';
import { MlflowClient } from '../../../src/tracing/mlflow/mlflow-client.js';
import { MlflowError } from '../../../src/tracing/mlflow/mlflow-error.js';
import { freePort } from './support/mlflow-test-server.js';
import { json, never, scriptedFetch, text } from './support/scripted-fetch.js';

const TRACE_ID = 'tr-0123456789abcdef0123456789abcdef';
const traceInfo = {
  trace_id: TRACE_ID,
  state: 'OK',
  trace_metadata: { 'mlflow.trace.user': 'u1' },
  tags: {},
};

describe('MlflowClient failures', () => {
  it('names the cause when nothing listens', async () => {
    const client = new MlflowClient({ trackingUri: `http://127.0.0.1:${await freePort()}` });
    const error = await client.health().catch((caught) => caught);
    expect(MlflowError.isInstance(error)).toBe(true);
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('gives up after the per-call timeout', async () => {
    const { fetch } = scriptedFetch({ 'GET /health': never });
    const client = new MlflowClient({ trackingUri: 'http://mlflow.test', fetch, timeoutMs: 50 });
    const started = Date.now();
    const error = await client.health().catch((caught) => caught);
    expect(error).toMatchObject({ kind: 'timeout', request: 'GET /health' });
    expect(error.message).toContain('within 50 ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('says which variables to set on 401/403', async () => {
    const { fetch } = scriptedFetch({
      'GET /api/2.0/mlflow/experiments/get-by-name': () =>
        json(401, { error_code: 'UNAUTHENTICATED', message: 'You are not authenticated.' }),
    });
    const client = new MlflowClient({ trackingUri: 'http://mlflow.test', fetch });
    const error = await client.getOrCreateExperiment('fleet-rlm').catch((caught) => caught);
    expect(error).toMatchObject({ kind: 'http', status: 401, errorCode: 'UNAUTHENTICATED' });
    expect(error.message).toContain('MLFLOW_TRACKING_TOKEN');
  });

  it('calls an HTML page from a foreign server an invalid response', async () => {
    const { fetch } = scriptedFetch({
      'POST /api/3.0/mlflow/traces/search': () => text(200, '<html><body>Grafana</body></html>'),
    });
    const client = new MlflowClient({ trackingUri: 'http://mlflow.test', fetch });
    const error = await client.searchTraces({ experimentId: '1' }).catch((caught) => caught);
    expect(error).toMatchObject({ kind: 'invalid_response' });
    expect(error.message).toContain("'<html><body>Grafana</body></html>'");
  });

  it('reads the winner after losing the create race', async () => {
    let lookups = 0;
    const { fetch, calls } = scriptedFetch({
      'GET /api/2.0/mlflow/experiments/get-by-name': () =>
        ++lookups === 1
          ? json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no' })
          : json(200, { experiment: { experiment_id: '7', name: 'fleet-rlm', lifecycle_stage: 'active' } }),
      'POST /api/2.0/mlflow/experiments/create': () =>
        json(400, {
          error_code: 'RESOURCE_ALREADY_EXISTS',
          message: 'Experiment(name=fleet-rlm) already exists.',
        }),
    });
    const client = new MlflowClient({ trackingUri: 'http://mlflow.test', fetch });
    expect(await client.getOrCreateExperiment('fleet-rlm')).toEqual({
      experimentId: '7',
      name: 'fleet-rlm',
      lifecycleStage: 'active',
    });
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'GET /api/2.0/mlflow/experiments/get-by-name',
      'POST /api/2.0/mlflow/experiments/create',
      'GET /api/2.0/mlflow/experiments/get-by-name',
    ]);
  });

  it('shares one lookup between concurrent calls of one client', async () => {
    const { fetch, calls } = scriptedFetch({
      'GET /api/2.0/mlflow/experiments/get-by-name': () =>
        json(200, { experiment: { experiment_id: '3', name: 'fleet-rlm' } }),
    });
    const client = new MlflowClient({ trackingUri: 'http://mlflow.test', fetch });
    await Promise.all([client.getOrCreateExperiment('fleet-rlm'), client.getOrCreateExperiment('fleet-rlm')]);
    expect(calls).toHaveLength(1);
  });

  it('refuses a deleted experiment with the restore command', async () => {
    const { fetch } = scriptedFetch({
      'GET /api/2.0/mlflow/experiments/get-by-name': () =>
        json(200, { experiment: { experiment_id: '4', name: 'fleet-rlm', lifecycle_stage: 'deleted' } }),
    });
    const client = new MlflowClient({ trackingUri: 'http://mlflow.test', fetch });
    const error = await client.getOrCreateExperiment('fleet-rlm').catch((caught) => caught);
    expect(error).toMatchObject({ kind: 'experiment_deleted' });
    expect(error.message).toContain('mlflow experiments restore --experiment-id 4');
  });

  it('falls back to the trace info when /traces/get answers 500', async () => {
    const { fetch } = scriptedFetch({
      'GET /api/3.0/mlflow/traces/get': () => json(500, { error_code: 'INTERNAL_ERROR', message: 'boom' }),
      [`GET /api/3.0/mlflow/traces/${TRACE_ID}`]: () => json(200, { trace: { trace_info: traceInfo } }),
    });
    const client = new MlflowClient({ trackingUri: 'http://mlflow.test', fetch });
    const trace = await client.getTrace(TRACE_ID);
    expect(trace).toMatchObject({
      spans: [],
      spansIncluded: false,
      info: { traceId: TRACE_ID, state: 'OK' },
    });
  });

  it('does not fall back when the trace does not exist', async () => {
    const { fetch, calls } = scriptedFetch({
      'GET /api/3.0/mlflow/traces/get': () =>
        json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Trace not found' }),
    });
    const client = new MlflowClient({ trackingUri: 'http://mlflow.test', fetch });
    await expect(client.getTrace(TRACE_ID)).rejects.toMatchObject({ isNotFound: true });
    expect(calls).toHaveLength(1);
  });

  it('sends credentials from the URI as basic auth, never in the URL, and masks them', async () => {
    const { fetch, calls } = scriptedFetch({ 'GET /health': () => text(200, 'OK') });
    const client = new MlflowClient({ trackingUri: 'http://alice:s3cret@mlflow.test/?x=1', fetch });
    await client.health();
    expect(calls[0]!.url.toString()).toBe('http://mlflow.test/health');
    expect(calls[0]!.headers.authorization).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
    expect(client.displayUri).toBe('http://alice:***@mlflow.test');
  });

  it('prefers a bearer token and puts it on the OTLP target too', () => {
    const client = new MlflowClient({ trackingUri: 'http://mlflow.test/', token: 'tok', username: 'bob' });
    expect(client.otlpTarget('5')).toEqual({
      url: 'http://mlflow.test/v1/traces',
      headers: { authorization: 'Bearer tok', 'x-mlflow-experiment-id': '5' },
    });
  });

  it('sends assessment metadata as strings and refuses object feedback', async () => {
    const { fetch, calls } = scriptedFetch({
      [`POST /api/3.0/mlflow/traces/${TRACE_ID}/assessments`]: (call) =>
        json(200, {
          assessment: {
            ...(call.body as { assessment: object }).assessment,
            assessment_id: 'a-1',
          },
        }),
    });
    const client = new MlflowClient({ trackingUri: 'http://mlflow.test', fetch });
    const saved = await client.logFeedback(TRACE_ID, {
      name: 'response_is_correct',
      value: true,
      sourceId: 'u1',
      metadata: { turn_index: 3, regenerated: false },
    });
    expect((calls[0]!.body as { assessment: { metadata: unknown } }).assessment.metadata).toEqual({
      turn_index: '3',
      regenerated: 'false',
    });
    expect(saved).toMatchObject({
      assessmentId: 'a-1',
      kind: 'feedback',
      value: true,
      source: { type: 'HUMAN', id: 'u1' },
    });
    await expect(
      client.logFeedback(TRACE_ID, { name: 'quality', value: { score: 1 } as never, sourceId: 'u1' }),
    ).rejects.toMatchObject({ kind: 'invalid_argument' });
    await expect(client.setTag(TRACE_ID, 'k', 'v'.repeat(5000))).rejects.toMatchObject({
      kind: 'invalid_argument',
    });
    expect(calls).toHaveLength(1);
  });
});

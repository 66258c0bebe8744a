/**
 * MlflowStatus timing with a scripted server and clock: the on-demand recheck rate limits, a running check
 * joined rather than repeated, an export failure that outranks a probe already in flight, and
 * a failed auto-start becoming the hint. The real-server transitions are in mlflow-status.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MlflowClient } from '../../../src/tracing/mlflow/mlflow-client.js';
import { MlflowStatus } from '../../../src/tracing/mlflow/mlflow-status.js';
import { parseVersion, supportsOtlpIngestion } from '../../../src/tracing/mlflow/probe-mlflow.js';
import { json, scriptedFetch, text } from './support/scripted-fetch.js';

const config = { enabled: true, trackingUri: 'http://mlflow.test', experiment: 'fleet-rlm' };

/** A server whose health can be switched off, and whose answers can be held back. */
function scriptedServer() {
  const server = { up: true, gate: Promise.resolve() };
  const down = () =>
    Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
  const { fetch, calls } = scriptedFetch({
    'GET /health': async () => {
      await server.gate;
      return server.up ? text(200, 'OK') : down();
    },
    'GET /version': () => text(200, '3.17.2'),
    'GET /api/2.0/mlflow/experiments/get-by-name': () => json(200, { experiment: { experiment_id: '9' } }),
  });
  const healthCalls = () => calls.filter((call) => call.path === '/health').length;
  return { server, client: new MlflowClient({ trackingUri: config.trackingUri, fetch }), healthCalls };
}

describe('MlflowStatus timing', () => {
  it('probes at most once per interval: 5 s while degraded, 60 s while ready', async () => {
    let now = 1_000_000;
    const { server, client, healthCalls } = scriptedServer();
    server.up = false;
    const status = new MlflowStatus({ config, client, now: () => now });
    expect((await status.recheck()).status).toBe('degraded');
    expect((await status.recheck()).status).toBe('degraded');
    expect(healthCalls()).toBe(1);

    server.up = true;
    now += 4999;
    expect((await status.recheck()).status).toBe('degraded');
    now += 1;
    expect(await status.recheck()).toMatchObject({ status: 'ready', experimentId: '9', version: '3.17.2' });
    expect(healthCalls()).toBe(2);

    server.up = false;
    now += 59_999;
    expect((await status.recheck()).status).toBe('ready');
    now += 1;
    expect((await status.recheck()).status).toBe('degraded');
    expect(healthCalls()).toBe(3);
  });

  it('joins a running check instead of starting another', async () => {
    const { server, client, healthCalls } = scriptedServer();
    let open!: () => void;
    server.gate = new Promise((resolve) => (open = resolve));
    const status = new MlflowStatus({ config, client });
    status.warmUp();
    status.warmUp();
    const joined = status.recheck();
    expect(status.status).toBe('pending');
    open();
    expect((await joined).status).toBe('ready');
    expect(healthCalls()).toBe(1);
    status.close();
  });

  it('keeps an export failure that arrives while a probe is in flight', async () => {
    const { server, client } = scriptedServer();
    let open!: () => void;
    server.gate = new Promise((resolve) => (open = resolve));
    const changes: string[] = [];
    const status = new MlflowStatus({
      config,
      client,
      onChange: (snapshot) => changes.push(`${snapshot.status}:${snapshot.problem ?? ''}`),
    });
    status.warmUp();
    status.markExportFailure(new Error('connect ECONNREFUSED 127.0.0.1:5001'));
    open();
    const snapshot = await status.settled();
    expect(snapshot).toMatchObject({ status: 'degraded', problem: 'export_failed' });
    expect(snapshot.startupError).toContain('connect ECONNREFUSED 127.0.0.1:5001');
    expect(changes).toEqual(['degraded:export_failed']);
    status.close();
  });

  it('waits for the auto-start and shows its failure as the hint', async () => {
    const { server, client } = scriptedServer();
    server.up = false;
    const status = new MlflowStatus({ config, client });
    status.warmUp(Promise.reject(new Error('cannot run `mlflow` (MLFLOW_COMMAND): install MLflow …')));
    const snapshot = await status.settled();
    expect(snapshot).toMatchObject({ status: 'degraded', problem: 'unreachable' });
    expect(snapshot.startupError).toBe(
      'the local MLflow server did not start: cannot run `mlflow` (MLFLOW_COMMAND): install MLflow …',
    );
    status.close();
  });

  it('never lets a throwing listener break the status', async () => {
    const { client } = scriptedServer();
    const status = new MlflowStatus({
      config,
      client,
      onChange: () => {
        throw new Error('listener bug');
      },
    });
    expect((await status.recheck()).status).toBe('ready');
  });
});

describe('MLflow versions', () => {
  it('needs 3.6 or newer for OTLP ingestion', () => {
    expect(parseVersion('3.17.2')).toEqual([3, 17]);
    expect(parseVersion('3.6.0rc0')).toEqual([3, 6]);
    expect(parseVersion('<html>')).toBeUndefined();
    expect(supportsOtlpIngestion('3.6.0')).toBe(true);
    expect(supportsOtlpIngestion('3.5.9')).toBe(false);
    expect(supportsOtlpIngestion('2.22.0')).toBe(false);
    expect(supportsOtlpIngestion('4.0.0')).toBe(true);
  });
});

/**
 * MlflowStatus following a scripted server by itself, with short real intervals: backoff while
 * degraded, only `/health` while ready, a timed-out probe retried with the longer budget before
 * `degraded`, the local server's exit, and `close()`. The real-server transitions and their
 * timings are in mlflow-status-heals.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalMlflowServer } from '../../../src/tracing/mlflow/local-mlflow-server.js';
import { MlflowClient } from '../../../src/tracing/mlflow/mlflow-client.js';
import { MlflowStatus, type MlflowStatusOptions } from '../../../src/tracing/mlflow/mlflow-status.js';
import { json, never, type RecordedCall, scriptedFetch, text } from './support/scripted-fetch.js';

const config = { enabled: true, trackingUri: 'http://mlflow.test', experiment: 'fleet-rlm' };
const FAST = { readyIntervalMs: 40, backoffInitialMs: 20, backoffMaxMs: 80 };

/** A server that can be down, or hang on its next `/health` calls. */
function scriptedServer() {
  const server = { up: true, hangNext: 0 };
  const refused = () =>
    Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
  const { fetch, calls } = scriptedFetch({
    'GET /health': (call, signal) => {
      if (server.hangNext > 0) {
        server.hangNext--;
        return never(call, signal);
      }
      return server.up ? text(200, 'OK') : refused();
    },
    'GET /version': () => (server.up ? text(200, '3.17.2') : refused()),
    'GET /api/2.0/mlflow/experiments/get-by-name': () =>
      server.up ? json(200, { experiment: { experiment_id: '9' } }) : refused(),
  });
  const count = (path: string) => calls.filter((call: RecordedCall) => call.path === path).length;
  return { server, client: new MlflowClient({ trackingUri: config.trackingUri, fetch }), calls, count };
}

const opened: MlflowStatus[] = [];
function follow(options: Omit<MlflowStatusOptions, 'config'>): MlflowStatus {
  const status = new MlflowStatus({ config, recheckTimes: FAST, ...options });
  opened.push(status);
  return status;
}
afterEach(() => {
  for (const status of opened.splice(0)) status.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

describe('MlflowStatus in the background', () => {
  it('re-probes a degraded server with backoff, and is ready once it answers, with no recheck', async () => {
    const { server, client, count } = scriptedServer();
    server.up = false;
    const status = follow({ client });
    status.warmUp();
    await until(() => status.status === 'degraded');
    await sleep(500);
    // 20, 40, 80, 80, … ms apart: about 8 probes in 500 ms, against 25 at a fixed 20 ms.
    const probes = count('/health');
    expect(probes).toBeGreaterThanOrEqual(4);
    expect(probes).toBeLessThanOrEqual(12);
    expect(status.status).toBe('degraded');

    server.up = true;
    await until(() => status.status === 'ready', 1000);
    expect(status.snapshot()).toMatchObject({ status: 'ready', experimentId: '9', version: '3.17.2' });
  });

  it('checks only /health while ready, and probes fully once /health fails', async () => {
    const { server, client, count } = scriptedServer();
    const status = follow({ client });
    status.warmUp();
    await until(() => status.status === 'ready');
    await until(() => count('/health') >= 4);
    expect(count('/version')).toBe(1);
    expect(count('/api/2.0/mlflow/experiments/get-by-name')).toBe(1);

    server.up = false;
    await until(() => status.status === 'degraded', 1000);
    expect(status.snapshot()).toMatchObject({ problem: 'unreachable' });
    expect(status.snapshot().startupError).toContain(
      'no MLflow server answers at http://mlflow.test (ECONNREFUSED)',
    );
  });

  it('retries a probe that timed out with the longer budget before saying degraded', async () => {
    const { server, client, count } = scriptedServer();
    server.hangNext = 1;
    const seen: string[] = [];
    const status = follow({
      client,
      probeTimeoutMs: 30,
      retryTimeoutMs: 1000,
      onChange: (snapshot) => seen.push(snapshot.status),
    });
    status.warmUp();
    expect((await status.settled()).status).toBe('ready');
    expect(seen).toEqual(['ready']);
    expect(count('/health')).toBe(2);
  });

  it('says degraded when the retry times out too', async () => {
    const { server, client, count } = scriptedServer();
    server.hangNext = 2;
    const status = follow({ client, probeTimeoutMs: 20, retryTimeoutMs: 60 });
    status.warmUp();
    const snapshot = await status.settled();
    expect(snapshot).toMatchObject({ status: 'degraded', problem: 'unreachable' });
    expect(snapshot.startupError).toContain('it did not answer in time');
    expect(count('/health')).toBe(2);
  });

  it('stops for good on close()', async () => {
    const { server, client, calls } = scriptedServer();
    server.up = false;
    const status = follow({ client });
    status.warmUp();
    await until(() => calls.length >= 3);
    status.close();
    await sleep(30); // a check already running ends
    const after = calls.length;
    await sleep(300);
    expect(calls.length).toBe(after);
    expect((await status.recheck()).status).toBe('degraded');
    expect(calls.length).toBe(after);
  });
});

/** A LocalMlflowServer double whose exit the test decides. */
function localServer(tail: string) {
  let exit!: (result: { code: number | null; signal: NodeJS.Signals | null }) => void;
  const server: LocalMlflowServer = {
    url: config.trackingUri,
    pid: 4242,
    exited: new Promise((resolve) => (exit = resolve)),
    outputTail: () => tail,
    stop: async () => {},
  };
  return { server, exit };
}

describe('MlflowStatus and the auto-started server', () => {
  it('degrades at once when it exits, keeps saying so while nothing answers, and is ready when one does', async () => {
    const { server: mlflow, client } = scriptedServer();
    const local = localServer('INFO: Uvicorn running on http://127.0.0.1:5001\nKilled');
    const changes: string[] = [];
    const status = follow({ client, onChange: (snapshot) => changes.push(snapshot.status) });
    status.warmUp(Promise.resolve(local.server));
    expect((await status.settled()).status).toBe('ready');

    mlflow.up = false;
    local.exit({ code: 1, signal: null });
    await until(() => status.status === 'degraded', 100);
    const snapshot = status.snapshot();
    expect(snapshot.problem).toBe('local_server_exited');
    expect(snapshot.startupError).toContain('the local MLflow server (pid 4242) exited with code 1');
    expect(snapshot.startupError).toContain('fleet-rlm mlflow-server');
    expect(snapshot.startupError).toMatch(/Its last lines:\nINFO: Uvicorn running on .*\nKilled$/);

    await sleep(150); // several probes find nothing at the port
    expect(status.snapshot()).toMatchObject({ status: 'degraded', problem: 'local_server_exited' });

    mlflow.up = true; // e.g. `fleet-rlm mlflow-server` on the same port
    await until(() => status.status === 'ready', 1000);
    expect(status.snapshot().startupError).toBeUndefined();
    expect(changes).toEqual(['ready', 'degraded', 'ready']);
  });

  it('says how it was killed', async () => {
    const { client } = scriptedServer();
    const local = localServer('');
    const status = follow({ client });
    status.warmUp(Promise.resolve(local.server));
    await status.settled();
    local.exit({ code: null, signal: 'SIGKILL' });
    await until(() => status.status === 'degraded', 100);
    expect(status.snapshot().startupError).toMatch(
      /^the local MLflow server \(pid 4242\) was killed by SIGKILL; [^\n]*$/,
    );
  });

  it('ignores its exit after close(), as at shutdown', async () => {
    const { client } = scriptedServer();
    const local = localServer('bye');
    const changes: string[] = [];
    const status = follow({ client, onChange: (snapshot) => changes.push(snapshot.status) });
    status.warmUp(Promise.resolve(local.server));
    await status.settled();
    status.close();
    local.exit({ code: 0, signal: null });
    await sleep(20);
    expect(status.status).toBe('ready');
    expect(changes).toEqual(['ready']);
  });
});

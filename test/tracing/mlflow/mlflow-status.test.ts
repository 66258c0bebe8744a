/**
 * The MLflow status machine against a real server and against things that are not one: ready,
 * each degraded case with its own hint, disabled, and recovery — the server stops, an export
 * fails, the status degrades; a server comes back on the same port (auto-started from the same
 * config) and the next recheck is ready again with the same experiment.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MlflowConfig } from '../../../src/config/config.js';
import { maybeAutoStartMlflow } from '../../../src/tracing/mlflow/local-mlflow-server.js';
import { MlflowClient } from '../../../src/tracing/mlflow/mlflow-client.js';
import { MlflowStatus } from '../../../src/tracing/mlflow/mlflow-status.js';
import { exportSpans, ingestTrace, oneSpan } from './support/ingest-trace.js';
import {
  freePort,
  MLFLOW_COMMAND,
  mlflowAvailable,
  startTestMlflow,
  type TestMlflow,
} from './support/mlflow-test-server.js';

function configFor(trackingUri: string, overrides: Partial<MlflowConfig> = {}): MlflowConfig {
  return {
    enabled: true,
    trackingUri,
    experiment: 'fleet-rlm-status-test',
    autoStart: false,
    command: MLFLOW_COMMAND,
    backendStoreUri: 'sqlite:///unused.db',
    degradedRecheckMs: 5000,
    ...overrides,
  };
}

/** An HTTP server that is not MLflow: answers every path with the given status and body. */
async function startForeignServer(
  handler: (path: string) => { status: number; body: string },
): Promise<Server> {
  const server = createServer((request, response) => {
    const { status, body } = handler(request.url ?? '/');
    response.writeHead(status, { 'content-type': 'text/html' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('MlflowStatus without a server', () => {
  it('is disabled when MLFLOW_ENABLED=false, and stays so', async () => {
    const status = new MlflowStatus({
      config: configFor('http://user:secret@127.0.0.1:1', { enabled: false }),
    });
    status.warmUp();
    expect(await status.recheck()).toEqual({
      enabled: false,
      status: 'disabled',
      trackingUri: 'http://user:***@127.0.0.1:1',
    });
    status.markExportFailure(new Error('ignored'));
    expect(status.status).toBe('disabled');
  });

  it('degrades with a how-to-start hint when nothing listens on the port', async () => {
    const port = await freePort();
    const status = new MlflowStatus({ config: configFor(`http://127.0.0.1:${port}`) });
    expect(status.status).toBe('pending');
    status.warmUp();
    expect(status.status).toBe('pending');
    const snapshot = await status.settled();
    expect(snapshot).toMatchObject({ enabled: true, status: 'degraded', problem: 'unreachable' });
    expect(snapshot.startupError).toContain(
      `no MLflow server answers at http://127.0.0.1:${port} (ECONNREFUSED)`,
    );
    expect(snapshot.startupError).toContain('fleet-rlm mlflow-server');
    // The project's setup command, not pip; turning MLflow off is said once, in the guidance.
    expect(snapshot.startupError).toContain('npm run setup:mlflow');
    expect(snapshot.startupError).not.toContain('pip install');
    expect(snapshot.startupError).not.toContain('MLFLOW_ENABLED=false');
    expect(snapshot.experimentId).toBeUndefined();
  });

  it('degrades with a stale-or-foreign hint when something else answers /health', async () => {
    const foreign = await startForeignServer(() => ({ status: 404, body: '<html>Not Found</html>' }));
    try {
      const status = new MlflowStatus({ config: configFor(urlOf(foreign)) });
      const snapshot = await status.recheck();
      expect(snapshot).toMatchObject({ status: 'degraded', problem: 'foreign_server' });
      expect(snapshot.startupError).toContain("GET /health answered HTTP 404 '<html>Not Found</html>'");
      expect(snapshot.startupError).toContain('a stale or foreign server holds the port');
    } finally {
      foreign.close();
    }
  });

  it('degrades as foreign when /health says OK but /version is not an MLflow version', async () => {
    const foreign = await startForeignServer((path) =>
      path === '/health' ? { status: 200, body: 'OK' } : { status: 200, body: '<html>app</html>' },
    );
    try {
      const snapshot = await new MlflowStatus({ config: configFor(urlOf(foreign)) }).recheck();
      expect(snapshot).toMatchObject({ status: 'degraded', problem: 'foreign_server' });
      expect(snapshot.startupError).toContain('not an MLflow version');
    } finally {
      foreign.close();
    }
  });

  it('degrades with an upgrade hint when the server is too old for OTLP ingestion', async () => {
    const old = await startForeignServer((path) =>
      path === '/health' ? { status: 200, body: 'OK' } : { status: 200, body: '3.5.1' },
    );
    try {
      const snapshot = await new MlflowStatus({ config: configFor(urlOf(old)) }).recheck();
      expect(snapshot).toMatchObject({ status: 'degraded', problem: 'too_old', version: '3.5.1' });
      expect(snapshot.startupError).toContain('cannot ingest OTLP traces (needs 3.6 or newer)');
      // A stale server from before an upgrade keeps its own hint: stop it, or upgrade it.
      expect(snapshot.startupError).toContain('a stale MLflow');
      expect(snapshot.startupError).toContain('make mlflow-upgrade');
      expect(snapshot.startupError).not.toContain('pip install');
    } finally {
      old.close();
    }
  });
});

describe.skipIf(!mlflowAvailable)('MlflowStatus against a real MLflow server', () => {
  let mlflow: TestMlflow;

  beforeAll(async () => {
    mlflow = await startTestMlflow();
    console.info(`[mlflow-status.test] MLflow started in ${mlflow.startMs} ms`);
  });

  afterAll(async () => {
    await mlflow?.dispose();
  });

  it('becomes ready with the version and the experiment id', async () => {
    const changes: string[] = [];
    const status = new MlflowStatus({
      config: configFor(mlflow.url),
      onChange: (snapshot, previous) => changes.push(`${previous.status}→${snapshot.status}`),
    });
    status.warmUp();
    const snapshot = await status.settled();
    expect(snapshot).toMatchObject({ enabled: true, status: 'ready', trackingUri: mlflow.url });
    expect(snapshot.version).toMatch(/^3\./);
    expect(snapshot.startupError).toBeUndefined();
    const experiment = await new MlflowClient({ trackingUri: mlflow.url }).getExperimentByName(
      'fleet-rlm-status-test',
    );
    expect(snapshot.experimentId).toBe(experiment?.experimentId);
    expect(status.experimentId).toBe(experiment?.experimentId);
    expect(changes).toEqual(['pending→ready']);
  });

  it('degrades with an experiment hint when the experiment is deleted', async () => {
    const client = new MlflowClient({ trackingUri: mlflow.url });
    const { experimentId } = await client.getOrCreateExperiment('fleet-rlm-deleted');
    const response = await fetch(`${mlflow.url}/api/2.0/mlflow/experiments/delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_id: experimentId }),
    });
    expect(response.status).toBe(200);
    const snapshot = await new MlflowStatus({
      config: configFor(mlflow.url, { experiment: 'fleet-rlm-deleted' }),
    }).recheck();
    expect(snapshot).toMatchObject({ status: 'degraded', problem: 'experiment' });
    expect(snapshot.startupError).toContain(`mlflow experiments restore --experiment-id ${experimentId}`);
    expect(snapshot.startupError).toContain('MLFLOW_EXPERIMENT');
  });

  it('degrades when exports fail after the server stops, and recovers when it comes back', async () => {
    const config = configFor(mlflow.url, {
      autoStart: true,
      backendStoreUri: mlflow.backendStoreUri,
    });
    const status = new MlflowStatus({ config, degradedRecheckMs: 0 });
    const ready = await status.recheck();
    expect(ready.status).toBe('ready');
    const experimentId = ready.experimentId!;
    await ingestTrace(status.client, experimentId, {
      sessionId: 's-before',
      userId: 'u',
      inputs: 1,
      outputs: 2,
    });

    // A ready status is not probed again within the ready interval: no cost per turn.
    await mlflow.server.stop();
    expect((await status.recheck()).status).toBe('ready');

    const exportError = await exportSpans(status.client, experimentId, oneSpan()).catch((error) => error);
    expect(exportError).toBeInstanceOf(Error);
    status.markExportFailure(exportError);
    expect(status.snapshot()).toMatchObject({ status: 'degraded', problem: 'export_failed' });
    expect(status.snapshot().startupError).toContain('exporting traces to MLflow');
    expect(status.experimentId).toBeUndefined();

    // The next turn's recheck gives the specific diagnosis.
    expect(await status.recheck()).toMatchObject({ status: 'degraded', problem: 'unreachable' });

    // Same port, same store: the auto-start brings it back, and the next recheck is ready again.
    const restarted = await maybeAutoStartMlflow(config, { startTimeoutMs: 100_000 });
    try {
      expect(restarted?.url).toBe(mlflow.url);
      const again = await status.recheck();
      expect(again).toMatchObject({ status: 'ready', experimentId });
      expect(again.startupError).toBeUndefined();
      const traceId = await ingestTrace(status.client, experimentId, {
        sessionId: 's-after',
        userId: 'u',
        inputs: 1,
        outputs: 2,
      });
      expect((await status.client.getTraceInfo(traceId)).metadata['mlflow.trace.session']).toBe('s-after');
      // With a server answering, auto-start does nothing.
      expect(await maybeAutoStartMlflow(config)).toBeUndefined();
    } finally {
      await restarted?.stop();
    }
  });
});

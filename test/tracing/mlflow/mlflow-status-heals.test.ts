/**
 * MLflow's status follows the server by itself, with no turn: a real fleet-rlm server (the
 * harness) and a real MLflow, watched through `GET /api/v1/runtime/status` as a Workbench would.
 *
 * - the first experiment call answers after the probe's timeout (a proxy holds it back, as a
 *   busy machine does): the status still reaches `ready`, without ever saying `degraded`;
 * - an external MLflow stops: `degraded` within 10 s; it starts again: `ready` within 10 s;
 * - the auto-started MLflow child dies: `degraded` at once, saying how it ended, with its last
 *   lines, and logged.
 *
 * Beside the HTTP view, a bare `MlflowStatus` is read through `snapshot()`, which never asks for
 * a probe: it shows the transitions are driven by time, not by the status requests. Each
 * transition's time is printed at the end (they go in the issue note).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MlflowStatus, type MlflowStatusSnapshot } from '../../../src/tracing/mlflow/mlflow-status.js';
import { api, type Harness, startHarness } from '../../support/server-harness.js';
import { type DelayingProxy, startDelayingProxy } from './support/delaying-proxy.js';
import {
  freePort,
  MLFLOW_COMMAND,
  mlflowAvailable,
  startTestMlflow,
  type TestMlflow,
} from './support/mlflow-test-server.js';

/** MlflowStatus's default probe budget; the proxy holds the first experiment call longer. */
const PROBE_TIMEOUT_MS = 2000;
const SLOW_FIRST_CALL_MS = 3500;

interface RuntimeMlflow {
  enabled: boolean;
  startup_status: string;
  startup_error: string | null;
}

/** Measured times of each transition, in ms, printed after the file. */
const timings: Record<string, number> = {};

async function mlflowStatusOf(harness: Harness): Promise<RuntimeMlflow> {
  const response = await api(harness, 'GET', '/api/v1/runtime/status');
  expect(response.status).toBe(200);
  return response.body!.mlflow as RuntimeMlflow;
}

/**
 * Polls the runtime status until `done` holds or `timeoutMs` passes; returns the last answer,
 * every status seen on the way, and the time it took.
 */
async function pollStatus(
  harness: Harness,
  done: (status: RuntimeMlflow) => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<{ last: RuntimeMlflow; seen: string[]; elapsedMs: number }> {
  const started = performance.now();
  const seen: string[] = [];
  let last = await mlflowStatusOf(harness);
  seen.push(last.startup_status);
  while (!done(last) && performance.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    last = await mlflowStatusOf(harness);
    if (seen.at(-1) !== last.startup_status) seen.push(last.startup_status);
  }
  return { last, seen, elapsedMs: Math.round(performance.now() - started) };
}

/** Reads `snapshot()` (never a probe) every 50 ms until `status`, or `timeoutMs`. */
async function untilSnapshot(
  status: MlflowStatus,
  wanted: MlflowStatusSnapshot['status'],
  timeoutMs: number,
): Promise<{ last: MlflowStatusSnapshot; elapsedMs: number }> {
  const started = performance.now();
  while (status.snapshot().status !== wanted && performance.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { last: status.snapshot(), elapsedMs: Math.round(performance.now() - started) };
}

/** The `mlflow server` process leading its process group, found by its unique store URI. */
function mlflowLeaderPid(backendStoreUri: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === Number(entry) && cmdline.includes('server') && cmdline.includes(backendStoreUri)) {
        return Number(entry);
      }
    } catch {
      // exited while we looked
    }
  }
  throw new Error(`no mlflow server process with store ${backendStoreUri}`);
}

function mlflowEnv(trackingUri: string, experiment: string): Record<string, string> {
  return {
    MLFLOW_ENABLED: 'true',
    MLFLOW_TRACKING_URI: trackingUri,
    MLFLOW_EXPERIMENT: experiment,
    MLFLOW_AUTO_START: 'false',
  };
}

describe.skipIf(!mlflowAvailable)('MLflow status heals by itself, with no turn', () => {
  let mlflow: TestMlflow;

  beforeAll(async () => {
    mlflow = await startTestMlflow();
  }, 120_000);

  afterAll(async () => {
    await mlflow?.dispose();
    console.info(`[mlflow-status-heals] transition timings (ms): ${JSON.stringify(timings)}`);
  });

  it('reaches ready when the first experiment call is slower than the probe timeout', async () => {
    let held = false;
    const proxy: DelayingProxy = await startDelayingProxy(mlflow.url, (path) => {
      if (held || !path.startsWith('/api/2.0/mlflow/experiments/')) return 0;
      held = true;
      return SLOW_FIRST_CALL_MS;
    });
    const started = performance.now();
    const harness = await startHarness(mlflowEnv(proxy.url, 'heals-slow-first-call'));
    try {
      const result = await pollStatus(harness, (status) => status.startup_status === 'ready', 20_000);
      expect(result.last).toMatchObject({ startup_status: 'ready', startup_error: null });
      // The call the first probe made was the one held back, past the probe's own budget.
      expect(proxy.delayed).toEqual([
        { path: '/api/2.0/mlflow/experiments/get-by-name', ms: SLOW_FIRST_CALL_MS },
      ]);
      expect(SLOW_FIRST_CALL_MS).toBeGreaterThan(PROBE_TIMEOUT_MS);
      // A probe that timed out is retried with a longer budget before anyone is told `degraded`.
      expect(result.seen).not.toContain('degraded');
      expect(harness.lm.requests).toEqual([]); // no turn
      timings.slow_first_call_start_to_ready = Math.round(performance.now() - started);
    } finally {
      await harness.close();
      await proxy.close();
    }
  }, 60_000);

  it('degrades within 10 s of an external MLflow stopping, and is ready within 10 s of it answering again', async () => {
    const harness = await startHarness(mlflowEnv(mlflow.url, 'heals-external'));
    // The machine on its own, read without ever asking for a probe.
    const bare = new MlflowStatus({
      config: { enabled: true, trackingUri: mlflow.url, experiment: 'heals-external' },
    });
    bare.warmUp();
    try {
      expect(
        (await pollStatus(harness, (status) => status.startup_status === 'ready', 30_000)).last,
      ).toMatchObject({ startup_status: 'ready' });
      expect((await untilSnapshot(bare, 'ready', 30_000)).last.status).toBe('ready');

      await mlflow.server.stop();
      const bareDown = untilSnapshot(bare, 'degraded', 15_000);
      const down = await pollStatus(harness, (status) => status.startup_status === 'degraded', 15_000);
      expect(down.last.startup_status).toBe('degraded');
      expect(down.last.startup_error).toContain(`no MLflow server answers at ${mlflow.url} (ECONNREFUSED)`);
      expect(down.elapsedMs).toBeLessThan(10_000);
      const bareDownResult = await bareDown;
      expect(bareDownResult.last).toMatchObject({ status: 'degraded', problem: 'unreachable' });
      expect(bareDownResult.elapsedMs).toBeLessThan(10_000);
      timings.external_stop_to_degraded_status_route = down.elapsedMs;
      timings.external_stop_to_degraded_background_only = bareDownResult.elapsedMs;

      // Same port, same store, as someone restarting it would.
      mlflow = await startTestMlflow({ port: mlflow.port, dir: mlflow.dir });
      const bareUp = untilSnapshot(bare, 'ready', 15_000);
      const up = await pollStatus(harness, (status) => status.startup_status === 'ready', 15_000);
      expect(up.last).toMatchObject({ startup_status: 'ready', startup_error: null });
      expect(up.elapsedMs).toBeLessThan(10_000);
      const bareUpResult = await bareUp;
      expect(bareUpResult.last.status).toBe('ready');
      expect(bareUpResult.elapsedMs).toBeLessThan(10_000);
      timings.external_restart_to_ready_status_route = up.elapsedMs;
      timings.external_restart_to_ready_background_only = bareUpResult.elapsedMs;
      expect(harness.lm.requests).toEqual([]); // no turn
    } finally {
      bare.close();
      await harness.close();
    }
  }, 120_000);

  it('degrades at once when the auto-started MLflow dies, saying how, with its last lines, and logs it', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'fleet-rlm-mlflow-child-'));
    const backendStoreUri = `sqlite:///${join(dir, 'mlruns.db')}`;
    let logged = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      logged += String(chunk);
      return true;
    });
    const harness = await startHarness({
      ...mlflowEnv(`http://127.0.0.1:${port}`, 'heals-child'),
      MLFLOW_AUTO_START: 'true',
      MLFLOW_COMMAND,
      MLFLOW_LOCAL_BACKEND_STORE_URI: backendStoreUri,
    });
    try {
      const ready = await pollStatus(harness, (status) => status.startup_status === 'ready', 120_000);
      expect(ready.last.startup_status).toBe('ready');

      const pid = mlflowLeaderPid(backendStoreUri);
      process.kill(pid, 'SIGKILL');
      const down = await pollStatus(harness, (status) => status.startup_status === 'degraded', 10_000, 20);
      expect(down.last.startup_status).toBe('degraded');
      expect(down.last.startup_error).toContain(`the local MLflow server (pid ${pid}) was killed by SIGKILL`);
      // Its last lines, without our own health checks crowding them out.
      expect(down.last.startup_error).toContain(`Uvicorn running on http://127.0.0.1:${port}`);
      expect(down.last.startup_error).not.toContain('GET /health');
      expect(down.elapsedMs).toBeLessThan(2000);
      timings.child_kill_to_degraded = down.elapsedMs;
      expect(logged).toMatch(
        /\[fleet-rlm\] MLflow degraded: the local MLflow server \(pid \d+\) was killed by SIGKILL/,
      );

      // Later probes find nothing at the port, and keep the more telling diagnosis.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const later = await mlflowStatusOf(harness);
      expect(later.startup_status).toBe('degraded');
      expect(later.startup_error).toContain('was killed by SIGKILL');
      expect(harness.lm.requests).toEqual([]); // no turn
    } finally {
      await harness.close();
      vi.restoreAllMocks();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

/**
 * A real MLflow tracking server for tests: the project venv's `mlflow`, on a free loopback port,
 * with a SQLite store in a fresh temp directory, started through our own `startLocalMlflow`.
 * Without `.venv/bin/mlflow` the MLflow suites are skipped with a warning, except under CI,
 * where a missing MLflow fails the run (it must not pass by testing nothing).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type LocalMlflowServer,
  startLocalMlflow,
} from '../../../../src/tracing/mlflow/local-mlflow-server.js';

export const MLFLOW_COMMAND = resolve('.venv/bin/mlflow');
export const mlflowAvailable = existsSync(MLFLOW_COMMAND);

const MISSING = `${MLFLOW_COMMAND} is missing; install it with \`npm run setup:mlflow\``;
if (!mlflowAvailable) {
  if (process.env.CI) throw new Error(`MLflow tests cannot run under CI: ${MISSING}`);
  console.warn(`[mlflow tests] SKIPPED: ${MISSING}`);
}

export interface TestMlflow {
  server: LocalMlflowServer;
  url: string;
  port: number;
  /** The temp directory holding the SQLite store and artifacts. */
  dir: string;
  backendStoreUri: string;
  /** Milliseconds from spawn to `/health` OK. */
  startMs: number;
  /** Stops the server and deletes its directory. */
  dispose(): Promise<void>;
}

export async function startTestMlflow(options: { port?: number; dir?: string } = {}): Promise<TestMlflow> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'fleet-rlm-mlflow-'));
  const port = options.port ?? (await freePort());
  const backendStoreUri = `sqlite:///${join(dir, 'mlflow.db')}`;
  const started = Date.now();
  const server = await startLocalMlflow({
    command: MLFLOW_COMMAND,
    port,
    backendStoreUri,
    startTimeoutMs: 100_000,
  });
  return {
    server,
    url: server.url,
    port,
    dir,
    backendStoreUri,
    startMs: Date.now() - started,
    dispose: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A loopback port nobody listens on (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * Runs in a separate Node process: starts a local MLflow (usually the fake) and waits forever,
 * so a test can kill this process — even with SIGKILL — and check the server died with it.
 * Usage: node --import tsx start-and-wait.ts COMMAND PORT DIR; prints `{pid, url}` once ready.
 */
import { join } from 'node:path';
import { startLocalMlflow } from '../../../../src/tracing/mlflow/local-mlflow-server.js';

const [command, port, dir] = process.argv.slice(2);
const server = await startLocalMlflow({
  command: command!,
  port: Number(port),
  backendStoreUri: `sqlite:///${join(dir!, 'mlflow.db')}`,
  startTimeoutMs: 20_000,
});
process.stdout.write(`${JSON.stringify({ pid: server.pid, url: server.url })}\n`);
setInterval(() => {}, 60_000);

/**
 * `fleet-rlm mlflow-server`: a local MLflow tracking server in the foreground until Ctrl-C, with
 * the same store, artifacts folder and port that `fleet-rlm serve` auto-starts (SQLite under the
 * data directory, the port of MLFLOW_TRACKING_URI). Its log goes to stderr.
 */
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig, readEnvironment } from '../config/config.js';
import { LocalMlflowError } from '../tracing/mlflow/local-mlflow-error.js';
import { startLocalMlflow } from '../tracing/mlflow/local-mlflow-server.js';
import { isLoopbackUri } from '../tracing/mlflow/tracking-uri.js';
import { CliError } from './run-command.js';

interface MlflowServerFlags {
  port?: number;
  host: string;
  backendStoreUri?: string;
  startTimeout: number;
  envFile?: string;
}

export function registerMlflowServerCommand(program: Command): void {
  program
    .command('mlflow-server')
    .description('run a local MLflow tracking server for fleet-rlm traces (foreground, Ctrl-C stops it)')
    .option('--port <port>', 'port (default: the port of MLFLOW_TRACKING_URI, 5001)', port)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option(
      '--backend-store-uri <uri>',
      'MLflow store (default: MLFLOW_LOCAL_BACKEND_STORE_URI or sqlite:///<data dir>/mlruns.db)',
    )
    .option('--start-timeout <seconds>', 'how long to wait for the server to answer', seconds, 120)
    .option('--env-file <path>', 'read variables from this file (default: ./.env when present)')
    .addHelpText(
      'after',
      `
MLflow comes from MLFLOW_COMMAND, else .venv/bin/mlflow, else mlflow on PATH. Install it with:
  npm run setup:mlflow    (make mlflow-upgrade moves it to the newest release)

fleet-rlm serve starts one by itself with APP_ENV=local (MLFLOW_AUTO_START); this command is for
running it on its own, e.g. to keep the UI up between server restarts.`,
    )
    .action(async (flags: MlflowServerFlags) => {
      process.exitCode = await mlflowServerCommand(flags);
    });
}

async function mlflowServerCommand(flags: MlflowServerFlags): Promise<number> {
  const config = loadConfig(readEnvironment(flags.envFile));
  const mlflow = config.observability.mlflow;
  const configuredPort = Number(new URL(mlflow.trackingUri).port || 80);
  const portToUse = flags.port ?? (isLoopbackUri(mlflow.trackingUri) ? configuredPort : 5001);
  const backendStoreUri = flags.backendStoreUri ?? mlflow.backendStoreUri;
  process.stderr.write(`starting MLflow (${mlflow.command}) with store ${backendStoreUri}\n`);
  const server = await startLocalMlflow({
    command: mlflow.command,
    host: flags.host,
    port: portToUse,
    backendStoreUri,
    artifactsDir: resolve(config.dataDir, 'mlartifacts'),
    startTimeoutMs: flags.startTimeout * 1000,
    onOutput: (text) => process.stderr.write(text),
    keepProcessAlive: true,
  }).catch((error: unknown) => {
    throw new CliError(
      LocalMlflowError.isInstance(error) ? error.message : `MLflow did not start: ${String(error)}`,
    );
  });
  process.stderr.write(`MLflow ready on ${server.url} (pid ${server.pid}); press Ctrl-C to stop\n`);
  if (new URL(server.url).origin !== new URL(mlflow.trackingUri).origin) {
    process.stderr.write(
      `note: MLFLOW_TRACKING_URI is ${new URL(mlflow.trackingUri).origin}; set MLFLOW_TRACKING_URI=${server.url} so fleet-rlm sends traces here\n`,
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`${signal}: stopping MLflow (press again to quit at once)\n`);
    void server.stop();
  };
  const onSigint = () => stop('SIGINT');
  const onSigterm = () => stop('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    const exit = await server.exited;
    if (stopping) return 0;
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    throw new CliError(`MLflow ${how}:\n${server.outputTail()}`);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65_535) {
    throw new InvalidArgumentError('expected a port number (1-65535)');
  }
  return parsed;
}

function seconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidArgumentError('expected a number of seconds > 0');
  return parsed;
}

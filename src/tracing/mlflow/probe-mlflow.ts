/**
 * One readiness check of an MLflow tracking server, and the diagnosis when it fails: nothing
 * answers, something that is not MLflow answers (a stale or foreign server on the port), an
 * MLflow too old for OTLP ingestion, refused credentials, or an experiment that cannot be used.
 * Each problem has its own remediation hint; `MlflowStatus` shows it as `startupError`.
 */
import type { MlflowClient } from './mlflow-client.js';
import { MlflowError } from './mlflow-error.js';

export type MlflowProblem =
  | 'unreachable'
  | 'foreign_server'
  | 'too_old'
  | 'unauthorized'
  | 'experiment'
  /** Set by `MlflowStatus.markExportFailure`, never by a probe. */
  | 'export_failed'
  /** Set by `MlflowStatus` when the server it auto-started exits, never by a probe. */
  | 'local_server_exited';

export type MlflowProbeResult =
  | { ok: true; version: string; experimentId: string }
  | {
      ok: false;
      problem: MlflowProblem;
      hint: string;
      version?: string;
      /** A request ran out of time: worth one more try with a longer budget. */
      timedOut?: boolean;
    };

/** OTLP ingestion at `/v1/traces` arrived in MLflow 3.6. */
export const MIN_OTLP_VERSION = [3, 6] as const;

const START_HINT =
  'start one with `fleet-rlm mlflow-server` (install MLflow first with `npm run setup:mlflow`), or point MLFLOW_TRACKING_URI at a running server';

export async function probeMlflow(
  client: MlflowClient,
  experimentName: string,
  options: { timeoutMs?: number } = {},
): Promise<MlflowProbeResult> {
  const uri = client.displayUri;
  const { timeoutMs } = options;
  let health: Awaited<ReturnType<MlflowClient['health']>>;
  try {
    health = await client.health({ timeoutMs });
  } catch (error) {
    return unreachable(uri, error);
  }
  if (!health.ok) {
    const answer = `GET /health answered HTTP ${health.status} ${health.body ? `'${health.body.slice(0, 80)}'` : 'with an empty body'}`;
    return foreign(uri, answer);
  }

  let version: string;
  try {
    version = await client.version({ timeoutMs });
  } catch (error) {
    if (MlflowError.isInstance(error) && error.kind !== 'http') return unreachable(uri, error);
    return foreign(uri, `GET /version failed: ${message(error)}`);
  }
  const parsed = parseVersion(version);
  if (!parsed) return foreign(uri, `GET /version answered '${version.slice(0, 40)}', not an MLflow version`);
  if (!supportsOtlpIngestion(version)) {
    return {
      ok: false,
      problem: 'too_old',
      version,
      hint: `MLflow ${version} at ${uri} cannot ingest OTLP traces (needs ${MIN_OTLP_VERSION.join('.')} or newer); a stale MLflow from before an upgrade may still hold the port: stop it and start the project's with \`fleet-rlm mlflow-server\`, or upgrade it (\`make mlflow-upgrade\` for the project's .venv) and restart it`,
    };
  }

  try {
    const experiment = await client.getOrCreateExperiment(experimentName, { timeoutMs });
    return { ok: true, version, experimentId: experiment.experimentId };
  } catch (error) {
    return experimentProblem(uri, experimentName, version, error);
  }
}

/** `3.17.2`, `3.6.0rc0`, `3.7.1.dev0` → [major, minor]; anything else → undefined. */
export function parseVersion(version: string): [number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version.trim());
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

export function supportsOtlpIngestion(version: string): boolean {
  const parsed = parseVersion(version);
  if (!parsed) return false;
  const [major, minor] = parsed;
  return major > MIN_OTLP_VERSION[0] || (major === MIN_OTLP_VERSION[0] && minor >= MIN_OTLP_VERSION[1]);
}

function unreachable(uri: string, error: unknown): MlflowProbeResult {
  const timedOut = MlflowError.isInstance(error) && error.kind === 'timeout';
  return {
    ok: false,
    problem: 'unreachable',
    hint: `no MLflow server answers at ${uri} (${timedOut ? 'it did not answer in time' : causeOf(error)}): ${START_HINT}`,
    ...(timedOut ? { timedOut } : {}),
  };
}

function foreign(uri: string, answer: string): MlflowProbeResult {
  return {
    ok: false,
    problem: 'foreign_server',
    hint: `something that is not a usable MLflow server answers at ${uri} (${answer}): a stale or foreign server holds the port; stop it, or run MLflow on a free port (\`fleet-rlm mlflow-server --port 5002\`) and set MLFLOW_TRACKING_URI to it`,
  };
}

function experimentProblem(uri: string, name: string, version: string, error: unknown): MlflowProbeResult {
  if (MlflowError.isInstance(error)) {
    if (error.kind === 'unreachable' || error.kind === 'timeout') return unreachable(uri, error);
    if (error.status === 401 || error.status === 403) {
      return { ok: false, problem: 'unauthorized', version, hint: error.message };
    }
    // A 404 without MLflow's error body, or HTML: the REST API is not there.
    if (error.kind === 'invalid_response' || (error.status === 404 && !error.errorCode)) {
      return foreign(uri, `the experiments API is missing: ${error.message}`);
    }
    if (error.kind === 'experiment_deleted') {
      return { ok: false, problem: 'experiment', version, hint: error.message };
    }
  }
  return {
    ok: false,
    problem: 'experiment',
    version,
    hint: `MLflow at ${uri} could not get or create experiment '${name}' (MLFLOW_EXPERIMENT): ${message(error)}; check the name and the MLflow server log`,
  };
}

function causeOf(error: unknown): string {
  const text = message(error);
  // "cannot reach MLflow at URI (GET /health): ECONNREFUSED" → "ECONNREFUSED"
  const colon = text.lastIndexOf(': ');
  return colon >= 0 ? text.slice(colon + 2) : text;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

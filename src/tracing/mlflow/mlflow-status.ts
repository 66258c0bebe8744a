/**
 * Whether traces can go to MLflow right now, as a small state machine the status endpoint and the
 * exporter read:
 *
 *   disabled (MLFLOW_ENABLED=false)
 *   pending  → ready     server answers, version ingests OTLP (≥ 3.6), experiment id resolved
 *            → degraded  `startupError` says what is wrong and how to fix it (see probe-mlflow.ts)
 *   ready   ⇄ degraded   `recheck()` (cheap, rate-limited, called every turn) and
 *                        `markExportFailure()` (the exporter saw MLflow fail)
 *
 * Startup is lazy and never blocks: `warmUp()` runs the first check in the background. Rechecks
 * are rate-limited (default once per 5 s while degraded, once per 60 s while ready), so a turn
 * pays for a probe at most that often and a server that comes back is used from the next turn.
 */
import type { MlflowConfig } from '../../config/config.js';
import { MlflowClient } from './mlflow-client.js';
import { type MlflowProbeResult, type MlflowProblem, probeMlflow } from './probe-mlflow.js';
import { maskTrackingUri } from './tracking-uri.js';

export type MlflowStartupStatus = 'disabled' | 'pending' | 'ready' | 'degraded';

export interface MlflowStatusSnapshot {
  enabled: boolean;
  status: MlflowStartupStatus;
  /** Degraded only: what is wrong and how to fix it. */
  startupError?: string;
  /** Degraded only: which kind of problem, for guidance and metrics. */
  problem?: MlflowProblem;
  /** Ready only: where OTLP exports go (`x-mlflow-experiment-id`). */
  experimentId?: string;
  /** Credentials masked. */
  trackingUri: string;
  /** The server's version once it answered `/version`. */
  version?: string;
}

/** Told every change of status or error, with the snapshots after and before. */
export type MlflowStatusListener = (snapshot: MlflowStatusSnapshot, previous: MlflowStatusSnapshot) => void;

export interface MlflowStatusOptions {
  config: Pick<MlflowConfig, 'enabled' | 'trackingUri' | 'experiment' | 'token' | 'username' | 'password'>;
  /** Defaults to a client over `config`; tests pass one with a scripted `fetch`. */
  client?: MlflowClient;
  /** Timeout of each probe request. Default 2000. */
  probeTimeoutMs?: number;
  /** Least time between probes while degraded. Default 5000. */
  degradedRecheckMs?: number;
  /** Least time between probes while ready. Default 60000. */
  readyRecheckMs?: number;
  now?: () => number;
  /** Called on every change of status or error, e.g. to log "MLflow ready" / the hint. */
  onChange?: MlflowStatusListener;
}

interface State {
  status: MlflowStartupStatus;
  startupError?: string;
  problem?: MlflowProblem;
  experimentId?: string;
  version?: string;
}

export class MlflowStatus {
  readonly client: MlflowClient;
  private readonly options: MlflowStatusOptions;
  private readonly now: () => number;
  private state: State;
  private inFlight?: Promise<MlflowStatusSnapshot>;
  private started = false;
  private lastCheckAt = Number.NEGATIVE_INFINITY;
  /** Bumped by `markExportFailure`, so a probe that started before the failure cannot undo it. */
  private generation = 0;
  private autoStartError?: string;
  /** The tracking URI with credentials masked; computed once, as every turn takes a snapshot. */
  private readonly displayUri: string;
  private readonly listeners = new Set<MlflowStatusListener>();

  constructor(options: MlflowStatusOptions) {
    this.options = options;
    this.displayUri = maskTrackingUri(options.config.trackingUri);
    this.now = options.now ?? Date.now;
    this.client =
      options.client ?? new MlflowClient({ ...options.config, timeoutMs: options.probeTimeoutMs });
    this.state = { status: options.config.enabled ? 'pending' : 'disabled' };
  }

  get status(): MlflowStartupStatus {
    return this.state.status;
  }

  /** Set only while ready. */
  get experimentId(): string | undefined {
    return this.state.status === 'ready' ? this.state.experimentId : undefined;
  }

  /**
   * Adds a listener for every change of status or error (e.g. re-export traces kept during an
   * outage once MLflow is `ready` again). Returns the function that removes it. A listener that
   * throws is ignored.
   */
  onChange(listener: MlflowStatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): MlflowStatusSnapshot {
    const { status, startupError, problem, experimentId, version } = this.state;
    return {
      enabled: this.options.config.enabled,
      status,
      ...(startupError === undefined ? {} : { startupError }),
      ...(problem === undefined ? {} : { problem }),
      ...(experimentId === undefined ? {} : { experimentId }),
      trackingUri: this.displayUri,
      ...(version === undefined ? {} : { version }),
    };
  }

  /**
   * Starts the first check in the background; the status stays `pending` until it ends. Pass
   * the auto-start of a local server as `after` to check once it is up; if it fails, its
   * message becomes the hint for an unreachable server. Later calls do nothing.
   */
  warmUp(after?: Promise<unknown>): void {
    if (this.state.status === 'disabled' || this.started) return;
    this.started = true;
    void this.check(after);
  }

  /** Resolves once no check is running (at once when none is). */
  async settled(): Promise<MlflowStatusSnapshot> {
    while (this.inFlight) await this.inFlight;
    return this.snapshot();
  }

  /**
   * Cheap enough for every turn: joins a running check, or probes again when the rate limit
   * allows (an unreachable loopback server answers in about a millisecond; anything else within
   * `probeTimeoutMs`), else returns the current snapshot at once.
   */
  recheck(): Promise<MlflowStatusSnapshot> {
    if (this.state.status === 'disabled') return Promise.resolve(this.snapshot());
    if (this.inFlight) return this.inFlight;
    this.started = true;
    const interval =
      this.state.status === 'ready'
        ? (this.options.readyRecheckMs ?? 60_000)
        : this.state.status === 'degraded'
          ? (this.options.degradedRecheckMs ?? 5000)
          : 0;
    if (this.now() - this.lastCheckAt < interval) return Promise.resolve(this.snapshot());
    return this.check();
  }

  /** The exporter could not deliver to MLflow: stop sending until a recheck finds it again. */
  markExportFailure(error: unknown): void {
    if (this.state.status === 'disabled') return;
    this.generation++;
    if (this.state.status === 'degraded') return; // keep the more specific diagnosis
    const detail = error instanceof Error ? error.message : String(error);
    this.update({
      status: 'degraded',
      problem: 'export_failed',
      version: this.state.version,
      startupError: `exporting traces to MLflow at ${this.client.displayUri} failed (${detail}); tracing to MLflow resumes on the first turn after it answers again. If it stopped, restart it with \`fleet-rlm mlflow-server\`, or set MLFLOW_ENABLED=false`,
    });
  }

  private check(after?: Promise<unknown>): Promise<MlflowStatusSnapshot> {
    const run = async (): Promise<MlflowStatusSnapshot> => {
      if (after) {
        try {
          await after;
        } catch (error) {
          this.autoStartError = error instanceof Error ? error.message : String(error);
        }
      }
      this.lastCheckAt = this.now();
      const generation = this.generation;
      const result = await probeMlflow(this.client, this.options.config.experiment, {
        timeoutMs: this.options.probeTimeoutMs ?? 2000,
      }).catch(
        // probeMlflow diagnoses every failure it knows; this is the net under a bug in it, as
        // `warmUp` runs detached and a rejection there would be unhandled.
        (error: unknown): MlflowProbeResult => ({
          ok: false,
          problem: 'unreachable',
          hint: `checking MLflow at ${this.client.displayUri} failed unexpectedly: ${String(error)}`,
        }),
      );
      if (generation !== this.generation) return this.snapshot();
      if (result.ok) {
        this.autoStartError = undefined;
        this.update({ status: 'ready', experimentId: result.experimentId, version: result.version });
      } else {
        const hint =
          result.problem === 'unreachable' && this.autoStartError
            ? `the local MLflow server did not start: ${this.autoStartError}`
            : result.hint;
        this.update({
          status: 'degraded',
          startupError: hint,
          problem: result.problem,
          version: result.version,
        });
      }
      return this.snapshot();
    };
    const inFlight = run().finally(() => {
      if (this.inFlight === inFlight) this.inFlight = undefined;
    });
    this.inFlight = inFlight;
    return inFlight;
  }

  private update(next: State): void {
    const previous = this.snapshot();
    this.state = next;
    if (previous.status === next.status && previous.startupError === next.startupError) return;
    const snapshot = this.snapshot();
    for (const listener of [this.options.onChange, ...this.listeners]) {
      try {
        listener?.(snapshot, previous);
      } catch {
        // A listener that throws must not break tracing (STYLE: telemetry never throws).
      }
    }
  }
}

/**
 * Whether traces can go to MLflow right now, as a small state machine driven by time; the
 * status endpoint, the exporter and the trace listing read it:
 *
 *   disabled (MLFLOW_ENABLED=false)
 *   pending  → ready     server answers, version ingests OTLP (≥ 3.6), experiment id resolved
 *            → degraded  `startupError` says what is wrong and how to fix it (see probe-mlflow.ts)
 *   ready    → degraded  the periodic `/health` fails and a full probe confirms it, an export
 *                        fails, or the auto-started child exits (at once: how it ended and its
 *                        last lines)
 *   degraded → ready     a background probe finds the server usable again
 *
 * Once `warmUp()` has started it, the machine follows the server by itself (recheck-schedule.ts):
 * `/health` every 5 s while ready, a full probe with backoff (1 s doubling to 8 s) while pending
 * or degraded. `recheck()` (each turn, each status request) asks for a probe sooner,
 * rate-limited. A probe that times out is retried at once with a longer budget before the
 * status says degraded, so a busy machine's slow first experiment call is not an outage.
 * `close()` stops the timer; the status is then frozen.
 */
import type { MlflowConfig } from '../../config/config.js';
import { describeExit, type LocalMlflowServer } from './local-mlflow-server.js';
import { MlflowClient } from './mlflow-client.js';
import { type MlflowProbeResult, type MlflowProblem, probeMlflow } from './probe-mlflow.js';
import { DEFAULT_RECHECK_TIMES, RecheckSchedule, type RecheckTimes } from './recheck-schedule.js';
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
  /** Timeout of each request when a probe that timed out is tried again. Default 10000. */
  retryTimeoutMs?: number;
  /** Least time between on-demand rechecks while degraded. Default 5000. */
  degradedRecheckMs?: number;
  /** Least time between on-demand rechecks while ready (the background check runs anyway). Default 60000. */
  readyRecheckMs?: number;
  /** The background checks after `warmUp()`; defaults in recheck-schedule.ts. */
  recheckTimes?: Partial<RecheckTimes>;
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

const LINES_OF_EXIT_TAIL = 12;

export class MlflowStatus {
  readonly client: MlflowClient;
  private readonly options: MlflowStatusOptions;
  private readonly now: () => number;
  private readonly schedule: RecheckSchedule;
  private state: State;
  private inFlight?: Promise<MlflowStatusSnapshot>;
  private following = false;
  private closed = false;
  private lastCheckAt = Number.NEGATIVE_INFINITY;
  /** Bumped by every event that outranks a probe in flight (an export failure, the child's exit). */
  private generation = 0;
  private autoStartError?: string;
  /** How the auto-started server ended; the hint while nothing answers at its port. */
  private localExit?: string;
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
    this.schedule = new RecheckSchedule({ ...DEFAULT_RECHECK_TIMES, ...options.recheckTimes }, () =>
      this.backgroundCheck(),
    );
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
   * Starts following the server: the first check in the background (the status stays `pending`
   * until it ends), then the background checks. Pass the auto-start of a local server as
   * `after`: the check waits for it, a failed start becomes the hint for an unreachable server,
   * and the started server's exit flips the status at once. Later calls do nothing.
   */
  warmUp(after?: Promise<LocalMlflowServer | undefined>): void {
    if (this.state.status === 'disabled' || this.following || this.closed) return;
    this.following = true;
    if (this.inFlight) void this.awaitAutoStart(after);
    else void this.check({ after });
  }

  /**
   * Resolves once no check is running (at once when none is, or after `close()`: the last
   * flush at shutdown must not wait out a probe's retry).
   */
  async settled(): Promise<MlflowStatusSnapshot> {
    while (this.inFlight && !this.closed) await this.inFlight;
    return this.snapshot();
  }

  /**
   * Cheap enough for every turn and every status request: joins a running check, or probes
   * again when the rate limit allows (an unreachable loopback server answers in about a
   * millisecond; anything else within the probe's budget), else returns the snapshot at once.
   */
  recheck(): Promise<MlflowStatusSnapshot> {
    if (this.state.status === 'disabled' || this.closed) return Promise.resolve(this.snapshot());
    if (this.inFlight) return this.inFlight;
    const interval =
      this.state.status === 'ready'
        ? (this.options.readyRecheckMs ?? 60_000)
        : this.state.status === 'degraded'
          ? (this.options.degradedRecheckMs ?? 5000)
          : 0;
    if (this.now() - this.lastCheckAt < interval) return Promise.resolve(this.snapshot());
    return this.check();
  }

  /** The exporter could not deliver to MLflow: stop sending until a probe finds it again. */
  markExportFailure(error: unknown): void {
    if (this.state.status === 'disabled' || this.closed) return;
    this.generation++;
    if (this.state.status === 'degraded') return; // keep the more specific diagnosis
    const detail = error instanceof Error ? error.message : String(error);
    this.update({
      status: 'degraded',
      problem: 'export_failed',
      version: this.state.version,
      startupError: `exporting traces to MLflow at ${this.client.displayUri} failed (${detail}); tracing to MLflow resumes by itself once it answers again. If it stopped, start it again with \`fleet-rlm mlflow-server\``,
    });
    if (this.following) this.schedule.restartBackoff();
  }

  /** Stops the background checks (shutdown); an exit of the local server is no longer news. */
  close(): void {
    this.closed = true;
    this.schedule.stop();
  }

  private backgroundCheck(): void {
    if (this.closed || this.inFlight) return; // a running check schedules the next one itself
    void this.check({ healthFirst: this.state.status === 'ready' });
  }

  /**
   * One check: waits for the auto-start when given; while ready with `healthFirst`, a `/health`
   * that answers OK is enough, anything else gets the full probe, whose outcome sets the status
   * unless something that outranks it happened meanwhile.
   */
  private check(
    options: { after?: Promise<LocalMlflowServer | undefined>; healthFirst?: boolean } = {},
  ): Promise<MlflowStatusSnapshot> {
    const run = async (): Promise<MlflowStatusSnapshot> => {
      if (options.after) await this.awaitAutoStart(options.after);
      this.lastCheckAt = this.now();
      const generation = this.generation;
      if (options.healthFirst && (await this.answersHealth())) return this.snapshot();
      const result = await this.probe();
      if (generation !== this.generation || this.closed) return this.snapshot();
      this.apply(result);
      return this.snapshot();
    };
    const inFlight = run().finally(() => {
      if (this.inFlight === inFlight) this.inFlight = undefined;
      if (this.following && !this.closed) this.schedule.afterCheck(this.state.status === 'ready');
    });
    this.inFlight = inFlight;
    return inFlight;
  }

  private async awaitAutoStart(after: Promise<LocalMlflowServer | undefined> | undefined): Promise<void> {
    if (!after) return;
    try {
      const server = await after;
      if (server) void server.exited.then((exit) => this.localServerExited(server, describeExit(exit)));
    } catch (error) {
      this.autoStartError = error instanceof Error ? error.message : String(error);
    }
  }

  private localServerExited(server: LocalMlflowServer, how: string): void {
    if (this.closed || this.state.status === 'disabled') return;
    this.generation++;
    const tail = server.outputTail().split('\n').slice(-LINES_OF_EXIT_TAIL).join('\n').trim();
    this.localExit = `the local MLflow server (pid ${server.pid}) ${how}; start it again with \`fleet-rlm mlflow-server\` (or restart fleet-rlm), and tracing to MLflow resumes by itself once it answers${tail ? `. Its last lines:\n${tail}` : ''}`;
    this.update({
      status: 'degraded',
      problem: 'local_server_exited',
      startupError: this.localExit,
      version: this.state.version,
    });
    if (this.following) this.schedule.restartBackoff();
  }

  private async answersHealth(): Promise<boolean> {
    try {
      return (await this.client.health({ timeoutMs: this.options.probeTimeoutMs ?? 2000 })).ok;
    } catch {
      return false;
    }
  }

  /** The full probe; one that timed out is tried again with the longer budget. */
  private async probe(): Promise<MlflowProbeResult> {
    const first = await this.probeWithin(this.options.probeTimeoutMs ?? 2000);
    if (first.ok || !first.timedOut || this.closed) return first;
    return this.probeWithin(this.options.retryTimeoutMs ?? 10_000);
  }

  private probeWithin(timeoutMs: number): Promise<MlflowProbeResult> {
    return probeMlflow(this.client, this.options.config.experiment, { timeoutMs }).catch(
      // probeMlflow diagnoses every failure it knows; this is the net under a bug in it, as
      // checks run detached and a rejection there would be unhandled.
      (error: unknown): MlflowProbeResult => ({
        ok: false,
        problem: 'unreachable',
        hint: `checking MLflow at ${this.client.displayUri} failed unexpectedly: ${String(error)}`,
      }),
    );
  }

  private apply(result: MlflowProbeResult): void {
    if (result.ok) {
      this.autoStartError = undefined;
      this.localExit = undefined;
      this.update({ status: 'ready', experimentId: result.experimentId, version: result.version });
      return;
    }
    // Nothing answers: what happened to the local server says more than "nothing answers".
    if (result.problem === 'unreachable' && this.localExit) {
      this.update({ status: 'degraded', startupError: this.localExit, problem: 'local_server_exited' });
      return;
    }
    const hint =
      result.problem === 'unreachable' && this.autoStartError
        ? `the local MLflow server did not start: ${this.autoStartError}`
        : result.hint;
    this.update({ status: 'degraded', startupError: hint, problem: result.problem, version: result.version });
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

/**
 * Everything the HTTP routes and sockets use, built once by the composition root
 * (start-server.ts) and handed to buildApp. Tests build their own with real parts.
 */
import type { Config } from '../config/config.js';
import type { EventBus } from '../events/event-bus.js';
import type { ExecutionEventEmitter } from '../events/execution-event-emitter.js';
import type { AiSdkLmClient } from '../lm/ai-sdk-client.js';
import type { SandboxPool } from '../sandbox/sandbox-pool.js';
import type { SessionAccess } from '../sessions/session-access.js';
import type { EventLog } from '../store/event-log.js';
import type { StoreLifecycle } from '../store/store.js';
import type { FeedbackRecorder } from '../tracing/feedback-recorder.js';
import type { FleetMetrics } from '../tracing/metrics.js';
import type { SecretRedactor } from '../tracing/redaction.js';
import type { TraceCatalog } from '../tracing/trace-catalog.js';
import type { TurnRunner } from '../turns/turn-runner.js';
import type { Authenticator } from './auth/authenticator.js';
import type { RuntimeRoutesOptions } from './routes/runtime-routes.js';
import type { ServerLifecycle } from './server-lifecycle.js';

export interface ServerContext {
  /**
   * The configuration in force now: the composition root makes this a view of the live
   * configuration, so a settings PATCH of a live setting (the models, Daytona) shows here too.
   */
  readonly config: Config;
  version: string;
  /**
   * What routes and sockets use of the store directly: readiness, and the replay log the
   * sockets' subscriptions read. Everything else is reached through `sessions` (ownership
   * checked there), `traces` and `feedback`.
   */
  store: Pick<StoreLifecycle, 'dialect' | 'ping'> & Pick<EventLog, 'readEvents' | 'seqRange'>;
  bus: EventBus;
  emitter: ExecutionEventEmitter;
  runner: TurnRunner;
  /** The only way routes and sockets reach a session (ownership checked there). */
  sessions: SessionAccess;
  pool: SandboxPool;
  lm: AiSdkLmClient;
  authenticator: Authenticator;
  traces: TraceCatalog;
  feedback: FeedbackRecorder;
  metrics: FleetMetrics;
  /** Removes configured secrets and token-like text from everything the server sends or logs. */
  redactor: SecretRedactor;
  runtime: RuntimeRoutesOptions;
  /** Whether the server is draining: readiness, and refusing new sessions and sockets. */
  lifecycle: ServerLifecycle;
}

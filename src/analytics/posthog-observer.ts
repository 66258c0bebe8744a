/**
 * PostHog product analytics as an observer (`posthog`) of the observer registry: one
 * `$ai_generation` per LM call, `fleet_turn_started` / `fleet_turn_finished` per turn, and
 * `posthog_analytics_initialized` when it starts. Events are batched by posthog-node
 * (POSTHOG_FLUSH_AT events or every POSTHOG_FLUSH_INTERVAL) and sent in the background; a
 * PostHog that is down or refuses the key turns the status `degraded`, never a turn.
 *
 * Analytics only: traces live in MLflow and the local store. Disabled (POSTHOG_ENABLED=false,
 * the default) it is a do-nothing observer that never loads posthog-node's client.
 */
import type { PostHog, PostHogOptions } from 'posthog-node';
import type { PosthogConfig } from '../config/config.js';
import type { LmCallRecord, Observer, TurnRecord } from '../tracing/observer-registry.js';
import { redactText, truncate } from '../tracing/redaction.js';
import {
  aiGenerationProperties,
  turnFinishedProperties,
  turnStartedProperties,
} from './posthog-properties.js';

export interface PosthogStatus {
  enabled: boolean;
  status: 'disabled' | 'ready' | 'degraded';
  error?: string;
}

export interface PosthogObserverOptions {
  config: PosthogConfig;
  /** Exact secret values removed from every payload (see `configuredSecrets`). */
  secrets?: readonly string[];
  /** Properties of the `posthog_analytics_initialized` event. */
  startup: { appEnv: string; authMode: string; databaseRequired: boolean; version: string };
  /** How long `shutdown()` waits for the last flush. */
  shutdownTimeoutMs?: number;
  /** Tests: retries, timeouts and `fetch` of the posthog-node client. */
  client?: Pick<PostHogOptions, 'fetch' | 'fetchRetryCount' | 'fetchRetryDelay' | 'requestTimeout'>;
  log?: (message: string) => void;
}

/** The distinct id of server-side events that no user caused (as in fleet-rlm (Python)). */
const SERVER_DISTINCT_ID = 'fleet-server';
const MAX_PENDING = 1000;

export class PosthogObserver implements Observer {
  readonly name = 'posthog';
  private client?: PostHog;
  private readonly starting?: Promise<void>;
  private readonly pending: Array<(client: PostHog) => void> = [];
  private lastError?: string;
  private shutdownPromise?: Promise<void>;

  constructor(private readonly options: PosthogObserverOptions) {
    const { config } = options;
    if (!config.enabled) return;
    if (!config.apiKey) {
      this.lastError = 'POSTHOG_ENABLED=true but POSTHOG_API_KEY is not set; set it or POSTHOG_ENABLED=false';
      return;
    }
    // posthog-node is only loaded when analytics are on (STYLE: optional backends on demand).
    this.starting = import('posthog-node').then(
      ({ PostHog }) => this.open(PostHog, config.apiKey!),
      (error: unknown) => this.fail(`posthog-node could not be loaded: ${String(error)}`),
    );
  }

  /** For the runtime status route. */
  status(): PosthogStatus {
    if (!this.options.config.enabled) return { enabled: false, status: 'disabled' };
    if (this.lastError) return { enabled: true, status: 'degraded', error: this.lastError };
    return { enabled: true, status: 'ready' };
  }

  /** Resolves once the client is loaded (or failed to load); events before that are queued. */
  ready(): Promise<void> {
    return this.starting ?? Promise.resolve();
  }

  onLmCall(record: LmCallRecord): void {
    const { config, secrets = [] } = this.options;
    this.capture(this.distinctId(record.userId), '$ai_generation', () =>
      aiGenerationProperties(record, {
        secrets,
        inputTruncation: config.inputTruncation,
        outputTruncation: config.outputTruncation,
      }),
    );
  }

  onTurnStarted(record: TurnRecord): void {
    this.capture(this.distinctId(record.userId), 'fleet_turn_started', () => turnStartedProperties(record));
  }

  onTurnFinished(record: TurnRecord): void {
    this.capture(this.distinctId(record.userId), 'fleet_turn_finished', () =>
      turnFinishedProperties(record, this.options.secrets ?? []),
    );
  }

  /** Sends what is queued now; resolves even when PostHog is unreachable (the status says so). */
  async flush(): Promise<void> {
    await this.starting;
    await this.client?.flush().catch((error: unknown) => this.fail(describe(error)));
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      await this.starting;
      await this.client
        ?.shutdown(this.options.shutdownTimeoutMs ?? 5000)
        .catch((error: unknown) => this.fail(describe(error)));
    })();
    return this.shutdownPromise;
  }

  private open(PostHogClass: typeof PostHog, apiKey: string): void {
    const { config, startup } = this.options;
    const client = new PostHogClass(apiKey, {
      host: config.host,
      flushAt: config.flushAt,
      flushInterval: config.flushIntervalMs,
      // Server-side events would all be located at the server's address.
      disableGeoip: true,
      ...this.options.client,
    });
    client.on('error', (error: unknown) => this.fail(describe(error)));
    client.on('flush', () => {
      this.lastError = undefined;
    });
    this.client = client;
    this.send(config.distinctId ?? SERVER_DISTINCT_ID, 'posthog_analytics_initialized', {
      component: 'server',
      app_env: startup.appEnv,
      auth_mode: startup.authMode,
      database_required: startup.databaseRequired,
      version: startup.version,
    });
    for (const emit of this.pending.splice(0)) emit(client);
  }

  private capture(distinctId: string, event: string, properties: () => Record<string, unknown>): void {
    if (!this.options.config.enabled || this.shutdownPromise) return;
    if (this.client) this.send(distinctId, event, properties());
    // Bounded: only the moment between construction and the module load is covered.
    else if (this.starting && this.pending.length < MAX_PENDING) {
      this.pending.push(() => this.send(distinctId, event, properties()));
    }
  }

  private send(distinctId: string, event: string, properties: Record<string, unknown>): void {
    try {
      this.client?.capture({ distinctId, event, properties });
    } catch (error) {
      this.fail(describe(error));
    }
  }

  private distinctId(userId: string | undefined): string {
    return userId || this.options.config.distinctId || 'anonymous';
  }

  private fail(message: string): void {
    // The PostHog key can come back in an error body; the status endpoint must not show it.
    const secrets = [...(this.options.secrets ?? []), this.options.config.apiKey ?? ''];
    this.lastError = truncate(redactText(message, secrets), 500);
    this.options.log?.(`posthog: ${this.lastError}`);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { status?: unknown }).status;
    return typeof status === 'number' ? `HTTP ${status}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * What the runtime routes read, as narrow functions the composition root fills in. Functions
 * rather than values wherever a settings reload can replace the thing (the configuration, the
 * model client), so the routes always see the current one.
 */
import type { PosthogStatus } from '../../analytics/posthog-observer.js';
import type { Config } from '../../config/config.js';
import type { LmClient } from '../../lm/lm-client.js';
import type { SandboxPoolStats } from '../../sandbox/sandbox-pool.js';
import type { StoreLifecycle } from '../../store/store.js';
import type { DaytonaSettings } from './daytona-settings.js';

export type StartupStatus = 'pending' | 'ready' | 'degraded' | 'disabled';

/** MLflow's startup state as the tracing set-up tracks it. */
export interface MlflowStatus {
  enabled: boolean;
  startupStatus: StartupStatus;
  /** A remediation hint when degraded (unreachable URI, server too old, experiment error, ...). */
  startupError?: string;
}

export interface RuntimeSources {
  /** The configuration in force now. */
  config(): Config;
  /** The model client in force now. */
  lm(): Pick<LmClient, 'generate' | 'resolve'>;
  store: Pick<StoreLifecycle, 'ping' | 'dialect'>;
  sandboxStats(): Pick<SandboxPoolStats, 'idle' | 'live' | 'cap' | 'waiting'>;
  mlflowStatus(): MlflowStatus;
  posthogStatus(): PosthogStatus;
  /**
   * Daytona credentials. When omitted they are read from the settings' current environment
   * (`readDaytonaSettings`), which also sees values a PATCH just wrote.
   */
  daytona?(): DaytonaSettings;
  /**
   * The live Daytona check (e.g. list one sandbox), once the Daytona provider exists. Resolves
   * to a short preview; throws on failure. Without it the Daytona test is a preflight only.
   */
  daytonaProbe?(settings: DaytonaSettings, signal: AbortSignal): Promise<string>;
}

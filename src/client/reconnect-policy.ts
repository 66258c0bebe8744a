/**
 * How hard the execution client tries to get a dropped connection back: bounded exponential
 * backoff with jitter (so a server restart is not met by every client at the same instant), and
 * a fixed number of attempts, after which the caller gets a clear error instead of a hang.
 */

export interface ReconnectPolicy {
  /** Attempts before giving up; 0 turns reconnecting off. */
  attempts: number;
  /** Wait before the first attempt; doubled for each later one. */
  initialDelayMs: number;
  /** Ceiling of one wait. */
  maxDelayMs: number;
}

/** About 30 s in total before giving up: long enough for a server restart. */
export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = {
  attempts: 8,
  initialDelayMs: 250,
  maxDelayMs: 8_000,
};

/** The wait before attempt `attempt` (1-based): doubling from the initial delay, ±20 % jitter. */
export function reconnectDelay(policy: ReconnectPolicy, attempt: number, random = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

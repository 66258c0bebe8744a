/**
 * When `MlflowStatus` looks at the server next, by itself: a cheap check at a fixed interval
 * while MLflow is ready, and a full probe with exponential backoff while it is pending or
 * degraded (1 s doubling to 8 s by default: a probe of a dead loopback server costs about a
 * millisecond, and a server that comes back is seen within seconds of answering). One timer,
 * `unref()`ed so it never keeps the process alive; `stop()` ends it for good.
 */

export interface RecheckTimes {
  /** Between two checks while ready. */
  readyIntervalMs: number;
  /** The first wait after a failed check. */
  backoffInitialMs: number;
  /** The longest wait between failed checks. */
  backoffMaxMs: number;
}

export const DEFAULT_RECHECK_TIMES: RecheckTimes = {
  readyIntervalMs: 5000,
  backoffInitialMs: 1000,
  backoffMaxMs: 8000,
};

export class RecheckSchedule {
  private timer?: NodeJS.Timeout;
  /** Failed checks in a row; the backoff doubles with each. */
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly times: RecheckTimes,
    private readonly tick: () => void,
  ) {}

  /** A check ended: the next one after the ready interval, or after the next backoff step. */
  afterCheck(ready: boolean): void {
    this.failures = ready ? 0 : this.failures + 1;
    this.arm(ready ? this.times.readyIntervalMs : this.backoffMs());
  }

  /** Something just went wrong (an export failed, the local server exited): look again soon. */
  restartBackoff(): void {
    this.failures = 0;
    this.arm(this.times.backoffInitialMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private backoffMs(): number {
    const { backoffInitialMs, backoffMaxMs } = this.times;
    return Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.max(0, this.failures - 1));
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(this.tick, delayMs);
    this.timer.unref();
  }
}

/**
 * What a runtime sends while none of its executions runs: a leftover writer, or code that
 * forged its own result and carried on. A little of it is logged; past a fixed budget the
 * runtime is misbehaving and the caller restarts it. Nothing of it is kept.
 */

/** Stray output tolerated between two executions before the runtime is restarted. */
export const STRAY_OUTPUT_BYTES = 1024 * 1024;
/** How much of it reaches the log between two executions. */
const STRAY_LOG_CHARS = 2000;
const SAMPLE_CHARS = 500;

export class StrayOutput {
  private bytes = 0;
  private logged = 0;
  private silenced = false;

  constructor(
    private readonly log: (message: string) => void,
    readonly limitBytes = STRAY_OUTPUT_BYTES,
  ) {}

  /** An execution began: the count starts again. */
  reset(): void {
    this.bytes = 0;
    this.logged = 0;
    this.silenced = false;
  }

  /** Counts `bytes` of `what`; true once more than the budget arrived since the last execution began. */
  add(what: string, bytes: number, sample?: string): boolean {
    this.bytes += bytes;
    if (this.logged < STRAY_LOG_CHARS) {
      const piece = (sample ?? '').slice(0, Math.min(SAMPLE_CHARS, STRAY_LOG_CHARS - this.logged));
      this.logged += Math.max(piece.length, 100);
      this.log(`sandbox ${what} while no code runs (${bytes} bytes)${piece ? `: ${piece}` : ''}`);
    } else if (!this.silenced) {
      this.silenced = true;
      this.log('sandbox: more output while no code runs; not logged until the next execution');
    }
    return this.bytes > this.limitBytes;
  }
}

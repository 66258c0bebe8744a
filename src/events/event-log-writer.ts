/**
 * Write-behind for the replay log: frames from every session are batched into one transaction
 * per tick, and each frame is released for delivery only once its batch is committed, so a
 * frame a client saw is never lost in a crash. Batches commit one after another, in order.
 *
 * If the database fails (after retries), the frames are still released — live viewers keep a
 * gap-free stream — but reported as not durable and counted: a replay would miss them.
 */
import type { EventLog, EventRow } from '../store/event-log.js';

interface Pending {
  row: EventRow;
  resolve(durable: boolean): void;
}

const MAX_BATCH = 500;
const RETRY_DELAYS_MS = [20, 100, 500];

export class EventLogWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private failures = 0;

  constructor(
    private readonly store: EventLog,
    private readonly log: (message: string) => void = () => {},
  ) {}

  /** Resolves once the row is written (true), or given up on (false). */
  write(row: EventRow): Promise<boolean> {
    return new Promise((resolve) => {
      this.queue.push({ row, resolve });
      this.schedule();
    });
  }

  /** Frames that could not be written. */
  get failedWrites(): number {
    return this.failures;
  }

  /** Resolves once everything queued so far is written. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        const durable = await this.writeWithRetries(batch.map((pending) => pending.row));
        for (const pending of batch) pending.resolve(durable);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeWithRetries(rows: EventRow[]): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.appendEvents(rows);
        return true;
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined) {
          this.failures += rows.length;
          this.log(`could not write ${rows.length} frames to the replay log: ${String(error)}`);
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

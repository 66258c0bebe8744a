/**
 * How many documents this process parses at once. Each parse is a worker thread that may use up
 * to its heap limit, so N simultaneous uploads must not start N workers: a few run, a bounded
 * number wait in line (first come, first served), and the rest are refused at once with a clear
 * error rather than queued without end. One gate per process, as the memory it guards is.
 */
import { DocumentError } from './document-error.js';

export interface SlotLimits {
  maxParallelParses: number;
  maxQueuedParses: number;
}

interface Waiter {
  grant: () => void;
}

export class ParseSlots {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  /** Resolves with a `release` function once a slot is free; rejects if the line is full or on abort. */
  acquire(limits: SlotLimits, name: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.running < limits.maxParallelParses && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= limits.maxQueuedParses) {
      return Promise.reject(
        new DocumentError(
          'busy',
          `'${name}' was not read: ${this.running} documents are being read and ${this.waiting.length} are ` +
            'waiting, the most this server allows (FLEET_DOCUMENT_MAX_PARALLEL_PARSES, ' +
            'FLEET_DOCUMENT_MAX_QUEUED_PARSES). Try again in a moment.',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.running++;
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** For tests and status: parses running and waiting now. */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.waiting.shift()?.grant();
    };
  }
}

/**
 * Tells waiters in this process that a session was just created, so a socket opened for a session
 * that does not exist yet (the original Workbench opens its events socket with a browser-made id
 * before its first message) learns of it at once instead of polling the database. Watches are
 * keyed by id; the caller decides whether the session it hears about is its own.
 */
import type { SessionRow } from '../store/session-store.js';

export interface ArrivalWatch {
  /** The session once created, or undefined after `timeoutMs` or when `signal` aborts. */
  next(timeoutMs: number, signal: AbortSignal): Promise<SessionRow | undefined>;
  close(): void;
}

export class SessionArrivals {
  private readonly watchers = new Map<string, Set<(row: SessionRow) => void>>();

  /** Watches held open right now (for tests and metrics). */
  get watching(): number {
    let count = 0;
    for (const listeners of this.watchers.values()) count += listeners.size;
    return count;
  }

  announce(row: SessionRow): void {
    for (const listener of this.watchers.get(row.id) ?? []) listener(row);
  }

  /** Starts listening at once, so an arrival between this call and the first `next` is kept. */
  watch(sessionId: string): ArrivalWatch {
    let arrived: SessionRow | undefined;
    let wake: (() => void) | undefined;
    const listener = (row: SessionRow) => {
      arrived = row;
      wake?.();
    };
    let listeners = this.watchers.get(sessionId);
    if (!listeners) {
      listeners = new Set();
      this.watchers.set(sessionId, listeners);
    }
    listeners.add(listener);
    const close = () => {
      const current = this.watchers.get(sessionId);
      current?.delete(listener);
      if (current?.size === 0) this.watchers.delete(sessionId);
    };
    return {
      close,
      next: (timeoutMs, signal) =>
        new Promise((resolve) => {
          if (arrived || signal.aborted) return resolve(take());
          const done = () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wake = undefined;
            resolve(take());
          };
          const timer = setTimeout(done, timeoutMs);
          signal.addEventListener('abort', done, { once: true });
          wake = done;
        }),
    };

    function take(): SessionRow | undefined {
      const row = arrived;
      arrived = undefined;
      return row;
    }
  }
}

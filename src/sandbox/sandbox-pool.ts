/**
 * Bounds the sandboxes one process keeps, as DESIGN.md says: a warm pool of started, idle
 * sandboxes (so a new session does not wait for a cold start), a cap on live sandboxes
 * (each Pyodide worker costs 150–250 MB) and idle eviction beyond the warm pool.
 *
 * A sandbox is always in exactly one state: starting, idle or leased. "Live" counts all three
 * and never exceeds the cap. Callers that find nothing idle and the cap reached wait in FIFO
 * order; a released sandbox is reset and goes to the first waiter before it goes idle.
 */
import type { Sandbox } from './sandbox.js';
import { SandboxError } from './sandbox-error.js';

export interface SandboxPoolOptions {
  /** Builds an unstarted sandbox; the pool starts it. */
  create: () => Promise<Sandbox>;
  /** Started sandboxes kept idle and ready. */
  warm: number;
  /** Cap on starting + idle + leased sandboxes. */
  maxLive: number;
  /** Idle sandboxes beyond `warm` are shut down after this long. */
  idleTimeoutMs: number;
  /** A released sandbox holding more memory than this is shut down instead of reused. */
  recycleMemoryBytes?: number;
  log?: (message: string) => void;
}

export interface SandboxPoolStats {
  idle: number;
  leased: number;
  starting: number;
  live: number;
  cap: number;
}

interface Waiter {
  resolve(sandbox: Sandbox): void;
  reject(error: unknown): void;
}

interface IdleEntry {
  sandbox: Sandbox;
  timer?: NodeJS.Timeout;
}

export class SandboxPool {
  private readonly idle: IdleEntry[] = [];
  private readonly leased = new Set<Sandbox>();
  private readonly starting = new Set<Promise<void>>();
  private readonly startingSandboxes = new Set<Sandbox>();
  private readonly waiters: Waiter[] = [];
  private closed = false;

  constructor(private readonly options: SandboxPoolOptions) {
    if (options.maxLive < 1) throw new RangeError('SandboxPool needs maxLive >= 1');
  }

  /** Starts filling the warm pool in the background. */
  warmUp(): void {
    this.balance();
  }

  /** A started sandbox: an idle one at once, else a new one under the cap, else the next released one. */
  acquire(signal?: AbortSignal): Promise<Sandbox> {
    if (this.closed) return Promise.reject(shutDownError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Sandbox>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index === -1) return;
        this.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve: (sandbox) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(sandbox);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.balance();
    });
  }

  /** Like acquire, but undefined instead of waiting for a release when the cap is reached. */
  tryAcquire(): Promise<Sandbox> | undefined {
    if (this.closed) return undefined;
    const covered = this.idle.length + this.starting.size - this.waiters.length;
    if (covered <= 0 && this.live() >= this.options.maxLive) return undefined;
    return this.acquire();
  }

  /** Interrupts, resets every namespace and returns the sandbox to the pool (or shuts it down). */
  async release(sandbox: Sandbox): Promise<void> {
    if (!this.leased.has(sandbox)) return;
    const reason = this.recycleReason(sandbox);
    if (!reason) {
      try {
        sandbox.interrupt(); // the lessee is done: nothing it started may keep running
        await sandbox.reset();
      } catch (error) {
        return this.retire(sandbox, `reset failed: ${(error as Error).message}`);
      }
    }
    if (reason || this.closed) return this.retire(sandbox, reason ?? 'pool shut down');
    this.leased.delete(sandbox);
    this.pushIdle(sandbox);
    this.balance();
  }

  stats(): SandboxPoolStats {
    return {
      idle: this.idle.length,
      leased: this.leased.size,
      starting: this.starting.size,
      live: this.live(),
      cap: this.options.maxLive,
    };
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(shutDownError());
    const idle = this.idle.splice(0);
    for (const entry of idle) clearTimeout(entry.timer);
    const all = [...idle.map((entry) => entry.sandbox), ...this.leased, ...this.startingSandboxes];
    this.leased.clear();
    await Promise.all([...all.map((sandbox) => sandbox.shutdown().catch(() => {})), ...this.starting]);
  }

  // ------------------------------------------------------------------------------ internals

  private live(): number {
    return this.idle.length + this.leased.size + this.starting.size;
  }

  /** Hands idle sandboxes to waiters, then starts enough for the waiters and the warm pool. */
  private balance(): void {
    if (this.closed) return;
    while (this.waiters.length > 0 && this.idle.length > 0) {
      const entry = this.idle.pop()!; // most recently used first, so the others can age out
      clearTimeout(entry.timer);
      this.leased.add(entry.sandbox);
      this.waiters.shift()!.resolve(entry.sandbox);
    }
    const wanted = this.waiters.length + this.options.warm;
    while (this.idle.length + this.starting.size < wanted && this.live() < this.options.maxLive)
      this.startOne();
  }

  private startOne(): void {
    let sandbox: Sandbox | undefined;
    const started = (async () => {
      sandbox = await this.options.create();
      this.startingSandboxes.add(sandbox);
      await sandbox.start();
    })().then(
      () => {
        this.starting.delete(started);
        this.startingSandboxes.delete(sandbox!);
        if (this.closed) {
          void sandbox!.shutdown();
          return;
        }
        this.pushIdle(sandbox!);
        this.balance();
      },
      (error: unknown) => {
        // The slot is free again; the oldest waiter learns why, so a broken set-up cannot hang callers.
        this.starting.delete(started);
        if (sandbox) this.startingSandboxes.delete(sandbox);
        void sandbox?.shutdown().catch(() => {});
        this.log(`sandbox failed to start: ${(error as Error).message}`);
        this.waiters.shift()?.reject(error);
        // Later waiters may have counted on this start. Only they trigger another one, so a
        // broken set-up fails each caller once instead of retrying the warm pool forever.
        if (this.waiters.length > 0) this.balance();
      },
    );
    this.starting.add(started);
  }

  private pushIdle(sandbox: Sandbox): void {
    const entry: IdleEntry = { sandbox };
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      const index = this.idle.indexOf(entry);
      if (index === -1 || this.idle.length <= this.options.warm) return; // it is part of the warm pool
      this.idle.splice(index, 1);
      this.log(`shutting down sandbox ${sandbox.id}: idle for ${this.options.idleTimeoutMs} ms`);
      void sandbox.shutdown().catch(() => {});
    }, this.options.idleTimeoutMs);
    entry.timer.unref(); // an idle sandbox never keeps the process alive
    this.idle.push(entry);
  }

  private recycleReason(sandbox: Sandbox): string | undefined {
    if (!sandbox.alive) return 'it is no longer alive';
    const memory = sandbox.stats().memoryBytes;
    const limit = this.options.recycleMemoryBytes;
    if (limit !== undefined && memory !== undefined && memory > limit) {
      return `it holds ${Math.round(memory / 2 ** 20)} MB, over the ${Math.round(limit / 2 ** 20)} MB recycle threshold`;
    }
    return undefined;
  }

  private async retire(sandbox: Sandbox, reason: string): Promise<void> {
    this.log(`retiring sandbox ${sandbox.id}: ${reason}`);
    try {
      await sandbox.shutdown();
    } finally {
      this.leased.delete(sandbox); // the slot stays taken until the runtime is really gone
      this.balance();
    }
  }

  private log(message: string): void {
    this.options.log?.(message);
  }
}

function shutDownError(): SandboxError {
  return new SandboxError('shut_down', 'the sandbox pool is shut down');
}

/**
 * Bounds the sandboxes one process keeps, as DESIGN.md says: a warm pool of started, never-used
 * sandboxes (so a new session does not wait for a cold start), a cap on live sandboxes (each
 * Pyodide worker costs 150–250 MB) and idle eviction beyond the warm pool.
 *
 * Isolation by construction: a sandbox is handed out once. When its lessee is done it is
 * destroyed, never reset and handed on, because model code can change anything inside a runtime
 * (modules, builtins, the driver itself) and no reset can be trusted to undo it. The warm pool
 * therefore only ever holds sandboxes no code has run in.
 *
 * A sandbox is always in exactly one state: starting, idle (never used) or leased. "Live" counts
 * all three and never exceeds the cap. Callers that find nothing idle and the cap reached wait in
 * FIFO order; a destroyed sandbox's slot goes to a fresh sandbox for the first waiter. When
 * waiters are left over, the pool asks its reclaimer (the session leases) to give up an idle
 * lease at once instead of letting callers wait for an idle timer. A caller that has to wait for
 * a slot (not merely for a sandbox to start) is told so, with its place in line, so the person
 * behind it hears why nothing happens.
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
  log?: (message: string) => void;
}

/**
 * Called when a caller must wait because every slot is taken; it should destroy a leased
 * sandbox that nobody is using right now (e.g. an idle session's) and say whether it did.
 */
export type SandboxReclaimer = () => Promise<boolean> | boolean;

export interface SandboxPoolStats {
  idle: number;
  leased: number;
  starting: number;
  /** Callers waiting for a slot. */
  waiting: number;
  live: number;
  cap: number;
}

/** Why a caller waits: every slot is taken. */
export interface SandboxWait {
  /** 1 = the next slot that frees is this caller's. */
  position: number;
  /** Slots taken (leased, or starting for callers ahead). */
  inUse: number;
  /** SANDBOX_MAX_LIVE. */
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
  private reclaimer?: SandboxReclaimer;
  private reclaiming = false;
  private closed = false;

  constructor(private readonly options: SandboxPoolOptions) {
    if (options.maxLive < 1) throw new RangeError('SandboxPool needs maxLive >= 1');
  }

  /** Starts filling the warm pool in the background. */
  warmUp(): void {
    this.balance();
  }

  /** Who gives up an unused lease when callers wait (one reclaimer: the session leases). */
  setReclaimer(reclaimer: SandboxReclaimer): void {
    this.reclaimer = reclaimer;
  }

  /**
   * A started sandbox: an idle one at once, else a new one under the cap, else the next free
   * slot — and then `onQueued` is called (once, before this returns) to say the caller waits.
   */
  acquire(signal?: AbortSignal, onQueued?: (wait: SandboxWait) => void): Promise<Sandbox> {
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
      if (onQueued) this.reportQueued(waiter, onQueued);
    });
  }

  /** Like acquire, but undefined instead of waiting for a free slot when the cap is reached. */
  tryAcquire(): Promise<Sandbox> | undefined {
    if (this.closed) return undefined;
    const covered = this.idle.length + this.starting.size - this.waiters.length;
    if (covered <= 0 && this.live() >= this.options.maxLive) return undefined;
    return this.acquire();
  }

  /**
   * The lessee is done: the sandbox is interrupted and shut down, and its slot goes to a fresh
   * sandbox for the next waiter (or the warm pool). Never handed to anyone else.
   */
  async destroy(sandbox: Sandbox): Promise<void> {
    if (!this.leased.has(sandbox)) return;
    sandbox.interrupt(); // nothing the lessee started may keep running while it shuts down
    await this.retire(sandbox);
  }

  stats(): SandboxPoolStats {
    return {
      idle: this.idle.length,
      leased: this.leased.size,
      starting: this.starting.size,
      waiting: this.waiters.length,
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

  /**
   * The first `starting.size` waiters get the sandboxes being started (FIFO); a waiter behind
   * them waits for a slot to free, which is worth telling.
   */
  private reportQueued(waiter: Waiter, onQueued: (wait: SandboxWait) => void): void {
    const index = this.waiters.indexOf(waiter);
    if (index < this.starting.size) return; // served already, or a sandbox is starting for it
    onQueued({ position: index - this.starting.size + 1, inUse: this.live(), cap: this.options.maxLive });
  }

  private live(): number {
    return this.idle.length + this.leased.size + this.starting.size;
  }

  /** Hands idle sandboxes to waiters, then starts enough for the waiters and the warm pool. */
  private balance(): void {
    if (this.closed) return;
    while (this.waiters.length > 0 && this.idle.length > 0) {
      const entry = this.idle.pop()!; // the newest first, so the others can age out
      clearTimeout(entry.timer);
      this.leased.add(entry.sandbox);
      this.waiters.shift()!.resolve(entry.sandbox);
    }
    const wanted = this.waiters.length + this.options.warm;
    while (this.idle.length + this.starting.size < wanted && this.live() < this.options.maxLive)
      this.startOne();
    if (this.waiters.length > this.starting.size) void this.reclaim();
  }

  /** Waiters nothing is starting for: ask for unused leases back, one at a time. */
  private async reclaim(): Promise<void> {
    if (this.reclaiming || !this.reclaimer) return;
    this.reclaiming = true;
    try {
      while (!this.closed && this.waiters.length > this.starting.size + this.idle.length) {
        if (!(await this.reclaimer())) break;
      }
    } catch (error) {
      this.log(`reclaiming an unused sandbox failed: ${(error as Error).message}`);
    } finally {
      this.reclaiming = false;
    }
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

  private async retire(sandbox: Sandbox): Promise<void> {
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

/**
 * One sandbox per chat session, leased from the pool and kept between turns so `run_python`
 * state survives, until the session has been idle for a while — or the pool is full and another
 * session needs a sandbox, in which case the least recently used idle session gives its up.
 */
import type { Sandbox } from '../sandbox/sandbox.js';
import type { SandboxPool } from '../sandbox/sandbox-pool.js';

interface Entry {
  sandbox: Sandbox;
  users: number;
  lastUsed: number;
  timer?: NodeJS.Timeout;
  /** Document ids already bound as variables in this sandbox (see search_document). */
  documents: Set<string>;
  detach: () => void;
}

export class SessionSandboxes {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();

  constructor(
    private readonly pool: SandboxPool,
    private readonly idleMs: number,
  ) {}

  /** Leases the session's sandbox for one use; call the returned release when done. */
  async use(
    sessionId: string,
    signal?: AbortSignal,
  ): Promise<{ sandbox: Sandbox; documents: Set<string>; release(): void }> {
    const entry = await this.entry(sessionId, signal);
    entry.users++;
    clearTimeout(entry.timer);
    let released = false;
    return {
      sandbox: entry.sandbox,
      documents: entry.documents,
      release: () => {
        if (released) return;
        released = true;
        entry.users--;
        entry.lastUsed = Date.now();
        if (entry.users === 0) {
          entry.timer = setTimeout(() => void this.evict(sessionId), this.idleMs);
          entry.timer.unref();
        }
      },
    };
  }

  /** Gives the session's sandbox back to the pool (session deleted, or idle). */
  async evict(sessionId: string): Promise<void> {
    const entry = this.entries.get(sessionId);
    if (!entry || entry.users > 0) return;
    this.entries.delete(sessionId);
    clearTimeout(entry.timer);
    entry.detach();
    await this.pool.release(entry.sandbox);
  }

  async shutdown(): Promise<void> {
    for (const sessionId of [...this.entries.keys()]) {
      const entry = this.entries.get(sessionId)!;
      entry.users = 0;
      await this.evict(sessionId);
    }
  }

  private async entry(sessionId: string, signal?: AbortSignal): Promise<Entry> {
    const existing = this.entries.get(sessionId);
    if (existing?.sandbox.alive) return existing;
    if (existing) this.entries.delete(sessionId);
    let pending = this.pending.get(sessionId);
    if (!pending) {
      pending = this.lease(signal).finally(() => this.pending.delete(sessionId));
      this.pending.set(sessionId, pending);
    }
    const entry = await pending;
    this.entries.set(sessionId, entry);
    return entry;
  }

  private async lease(signal?: AbortSignal): Promise<Entry> {
    const stats = this.pool.stats();
    if (stats.idle === 0 && stats.live >= stats.cap) await this.evictLeastRecentlyUsed();
    const sandbox = await this.pool.acquire(signal);
    const documents = new Set<string>();
    // A restarted runtime lost every variable, the bound documents included.
    const detach = sandbox.onLifecycle((event) => {
      if (event.type === 'restarted') documents.clear();
    });
    return { sandbox, users: 0, lastUsed: Date.now(), documents, detach };
  }

  private async evictLeastRecentlyUsed(): Promise<void> {
    const idle = [...this.entries.entries()].filter(([, entry]) => entry.users === 0);
    idle.sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    const oldest = idle[0];
    if (oldest) await this.evict(oldest[0]);
  }
}

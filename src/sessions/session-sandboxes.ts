/**
 * Each chat session's sandbox: leased from the pool on first use and kept between turns (so
 * `run_python` state survives) until the session lets it go, then destroyed — never handed to
 * another session. A session lets go when it is archived, when its sandbox has been idle for
 * `SANDBOX_IDLE_TIMEOUT`, and at once when someone else is waiting for a slot (the pool's
 * reclaimer: least recently used idle session first), so a waiter never waits for an idle timer.
 *
 * Per user, at most `maxPerUser` sandboxes are held: a session of a user at that limit takes the
 * slot of that user's least recently used idle session, or is refused with `quota_exceeded`.
 */

import type { Sandbox } from '../sandbox/sandbox.js';
import type { SandboxPool, SandboxWait } from '../sandbox/sandbox-pool.js';
import type { Identity } from '../store/store.js';
import { SessionError } from './session-error.js';

export interface SandboxOwner extends Identity {
  sessionId: string;
}

/** One use of a session's sandbox; `release` when done (the sandbox stays with the session). */
export interface SandboxLease {
  sandbox: Sandbox;
  /** Document ids already bound as variables in this sandbox (see search_document). */
  documents: Set<string>;
  release(): void;
}

export interface SessionSandboxesOptions {
  /** A session's sandbox unused this long is destroyed. */
  idleMs: number;
  /** Sandboxes one user's sessions may hold at once. */
  maxPerUser: number;
}

interface Entry {
  owner: SandboxOwner;
  sandbox: Sandbox;
  users: number;
  lastUsed: number;
  timer?: NodeJS.Timeout;
  documents: Set<string>;
  detach: () => void;
}

const userKey = (identity: Identity) => `${identity.workspaceId}\u0000${identity.userId}`;

export class SessionSandboxes {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, { owner: SandboxOwner; entry: Promise<Entry> }>();

  constructor(
    private readonly pool: SandboxPool,
    private readonly options: SessionSandboxesOptions,
  ) {
    pool.setReclaimer(() => this.evictLeastRecentlyUsed());
  }

  /**
   * Leases the session's sandbox for one use; `onQueued` hears it when the session has none and
   * must wait for a free slot.
   */
  async use(
    owner: SandboxOwner,
    signal?: AbortSignal,
    onQueued?: (wait: SandboxWait) => void,
  ): Promise<SandboxLease> {
    const entry = await this.claim(owner, signal, onQueued);
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
        if (entry.users > 0) return;
        // Someone waits for a slot: this session gives its sandbox up now, not in ten minutes.
        if (this.pool.stats().waiting > 0) {
          void this.evict(owner.sessionId);
          return;
        }
        entry.timer = setTimeout(() => void this.evict(owner.sessionId), this.options.idleMs);
        entry.timer.unref();
      },
    };
  }

  /** Destroys the session's sandbox unless a turn is using it right now. */
  async evict(sessionId: string): Promise<void> {
    const entry = this.entries.get(sessionId);
    if (!entry || entry.users > 0) return;
    await this.destroy(entry);
  }

  /** Sandboxes held, per user: for status and tests. */
  heldBy(identity: Identity): number {
    return this.owned(identity).length;
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.entries.values()].map((entry) => this.destroy(entry)));
  }

  private async destroy(entry: Entry): Promise<void> {
    if (this.entries.get(entry.owner.sessionId) !== entry) return;
    this.entries.delete(entry.owner.sessionId);
    clearTimeout(entry.timer);
    entry.detach();
    await this.pool.destroy(entry.sandbox);
  }

  /** The session's entry, counted as in use before anything else can run (or evict it). */
  private async claim(
    owner: SandboxOwner,
    signal?: AbortSignal,
    onQueued?: (wait: SandboxWait) => void,
  ): Promise<Entry> {
    const existing = this.entries.get(owner.sessionId);
    if (existing?.sandbox.alive) {
      existing.users++;
      return existing;
    }
    if (existing) await this.destroy(existing);
    let pending = this.pending.get(owner.sessionId);
    if (!pending) {
      await this.makeRoomFor(owner);
      pending = {
        owner,
        entry: this.lease(owner, signal, onQueued).finally(() => this.pending.delete(owner.sessionId)),
      };
      this.pending.set(owner.sessionId, pending);
    }
    const entry = await pending.entry;
    this.entries.set(owner.sessionId, entry);
    entry.users++;
    return entry;
  }

  /** At the per-user limit, the user's own least recently used idle sandbox goes first. */
  private async makeRoomFor(owner: SandboxOwner): Promise<void> {
    const limit = this.options.maxPerUser;
    const pendingForUser = [...this.pending.values()].filter(
      (pending) => userKey(pending.owner) === userKey(owner),
    ).length;
    let held = this.owned(owner).length + pendingForUser;
    while (held >= limit) {
      const idle = this.owned(owner)
        .filter((entry) => entry.users === 0)
        .sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!idle) {
        throw new SessionError(
          'quota_exceeded',
          `you already have ${held} sandbox${held === 1 ? '' : 'es'} in use, the limit per user ` +
            `(USER_MAX_SANDBOXES=${limit}); wait for one of your turns to finish or cancel it`,
        );
      }
      await this.destroy(idle);
      held--;
    }
  }

  private async lease(
    owner: SandboxOwner,
    signal?: AbortSignal,
    onQueued?: (wait: SandboxWait) => void,
  ): Promise<Entry> {
    const sandbox = await this.pool.acquire(signal, onQueued);
    const documents = new Set<string>();
    // A restarted runtime lost every variable, the bound documents included.
    const detach = sandbox.onLifecycle((event) => {
      if (event.type === 'restarted') documents.clear();
    });
    return { owner, sandbox, users: 0, lastUsed: Date.now(), documents, detach };
  }

  private owned(identity: Identity): Entry[] {
    const key = userKey(identity);
    return [...this.entries.values()].filter((entry) => userKey(entry.owner) === key);
  }

  /** The pool's reclaimer: the least recently used idle session gives its sandbox up. */
  private async evictLeastRecentlyUsed(): Promise<boolean> {
    const idle = [...this.entries.values()].filter((entry) => entry.users === 0);
    idle.sort((a, b) => a.lastUsed - b.lastUsed);
    const oldest = idle[0];
    if (!oldest) return false;
    await this.destroy(oldest);
    return true;
  }
}

/**
 * The one home of "this session for this identity": every HTTP route, both WebSockets, the turn
 * runner and the agent's tools open sessions here. A session that does not exist, belongs to
 * another workspace or user, or is named by something that is not a plain id string is the same
 * `session_not_found`, so no answer tells an unknown id from someone else's.
 *
 * A client may choose a new session's id (fleet-rlm (Python)'s Workbench makes a UUID in the
 * browser): only a canonical UUID, so ids stay unguessable and the only way to collide with
 * someone else's is to know it already; a taken id is `session_not_found` like any other.
 */
import { DuplicateSessionError } from '../store/duplicate-session-error.js';
import type { Page } from '../store/page.js';
import type { Identity, SessionFilter, SessionListOptions, SessionRow } from '../store/session-store.js';
import type { TurnRow } from '../store/turn-store.js';
import { OwnedSession, type SessionDataStore } from './owned-session.js';
import { SessionArrivals } from './session-arrivals.js';
import { SessionError } from './session-error.js';
import type { SessionSandboxes } from './session-sandboxes.js';

export interface SessionAccessDeps {
  store: SessionDataStore;
  sandboxes: SessionSandboxes;
  /** Where a session's `load_document` paths live. */
  workspaceRoot(workspaceId: string, sessionId: string): string;
}

const MAX_ID_LENGTH = 200;
/** What `crypto.randomUUID()` makes: lowercase, hyphenated. */
const CLIENT_SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A waiter also looks in the database this often: another server process may create the session. */
const WAIT_POLL_MS = 2000;
const NEVER = new AbortController().signal;

/** May a client name a new session by this id? */
export function isClientSessionId(value: unknown): value is string {
  return typeof value === 'string' && CLIENT_SESSION_ID.test(value);
}

export function isOwnedBy(row: { workspaceId: string; userId: string }, identity: Identity): boolean {
  return row.workspaceId === identity.workspaceId && row.userId === identity.userId;
}

export class SessionAccess {
  private readonly arrivals = new SessionArrivals();

  constructor(private readonly deps: SessionAccessDeps) {}

  /** Callers of `waitFor` waiting right now. */
  get waiting(): number {
    return this.arrivals.watching;
  }

  /**
   * The caller's session, or `session_not_found`. With `active`, an archived session is refused
   * with `session_archived` (it can be read, not written to).
   */
  async open(
    identity: Identity,
    sessionId: unknown,
    options: { active?: boolean } = {},
  ): Promise<OwnedSession> {
    const row = await this.ownedRow(identity, sessionId);
    if (!row) throw notFound(sessionId);
    if (options.active && row.status === 'archived')
      throw new SessionError('session_archived', `session ${row.id} is archived`);
    return this.wrap(row);
  }

  /** Like `open`, but undefined instead of an error (for lookups that answer 404 themselves). */
  async find(identity: Identity, sessionId: unknown): Promise<OwnedSession | undefined> {
    const row = await this.ownedRow(identity, sessionId);
    return row && this.wrap(row);
  }

  /**
   * A new session for the caller, under a random id or the client-chosen `id`. A chosen id that
   * exists already gives the caller's own session (two first messages racing) and is
   * `session_not_found` when it is anyone else's: the database's unique key decides, so of two
   * racing identities exactly one gets it.
   */
  async create(identity: Identity, fields: { title?: string; id?: string } = {}): Promise<OwnedSession> {
    if (fields.id !== undefined && !isClientSessionId(fields.id)) throw notFound(fields.id);
    await this.deps.store.ensureIdentity(identity);
    let row: SessionRow;
    try {
      row = await this.deps.store.createSession(identity, fields);
    } catch (error) {
      if (fields.id === undefined || !DuplicateSessionError.isInstance(error)) throw error;
      return this.open(identity, fields.id, { active: true });
    }
    this.arrivals.announce(row);
    return this.wrap(row);
  }

  /**
   * The caller's session, waiting up to `timeoutMs` for it to be created (by this process: at
   * once; by another: seen within a poll). Undefined when it does not appear, when `signal`
   * aborts, and when it appears as someone else's: that wait runs out like for an id nobody
   * took. Only a client-chosen id can appear later; any other is looked up once.
   */
  async waitFor(
    identity: Identity,
    sessionId: unknown,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<OwnedSession | undefined> {
    if (!isClientSessionId(sessionId)) return this.find(identity, sessionId);
    const signal = options.signal ?? NEVER;
    const deadline = Date.now() + options.timeoutMs;
    // Watch before looking, so a session created in between is not missed.
    const watch = this.arrivals.watch(sessionId);
    try {
      let session = await this.find(identity, sessionId);
      while (!session && !signal.aborted) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        const row = await watch.next(Math.min(WAIT_POLL_MS, remaining), signal);
        if (signal.aborted) break;
        if (row) session = isOwnedBy(row, identity) ? this.wrap(row) : undefined;
        else session = await this.find(identity, sessionId);
      }
      return signal.aborted ? undefined : session;
    } finally {
      watch.close();
    }
  }

  /** The caller's sessions, newest first. */
  list(identity: Identity, options: SessionListOptions): Promise<Page<SessionRow>> {
    return this.deps.store.listSessions(identity, options);
  }

  /** How many sessions `list` gives over all its pages. */
  count(identity: Identity, filter: SessionFilter): Promise<number> {
    return this.deps.store.countSessions(identity, filter);
  }

  /** One of the caller's turns, or undefined (unknown and someone else's alike). */
  async findTurn(identity: Identity, turnId: unknown): Promise<TurnRow | undefined> {
    if (!isPlainId(turnId)) return undefined;
    const turn = await this.deps.store.getTurn(turnId);
    return turn && isOwnedBy(turn, identity) ? turn : undefined;
  }

  /** Archives the session and destroys its sandbox (the turn runner cancels its turn first). */
  async archive(session: OwnedSession): Promise<void> {
    await this.deps.store.archiveSession(session.id, Date.now());
    await session.releaseSandbox();
  }

  private async ownedRow(identity: Identity, sessionId: unknown): Promise<SessionRow | undefined> {
    if (!isPlainId(sessionId)) return undefined;
    const row = await this.deps.store.getSession(sessionId);
    return row && isOwnedBy(row, identity) ? row : undefined;
  }

  private wrap(row: SessionRow): OwnedSession {
    return new OwnedSession(row, {
      store: this.deps.store,
      sandboxes: this.deps.sandboxes,
      workspaceRoot: this.deps.workspaceRoot(row.workspaceId, row.id),
    });
  }
}

function isPlainId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

function notFound(sessionId: unknown): SessionError {
  const shown = typeof sessionId === 'string' ? sessionId.slice(0, MAX_ID_LENGTH) : '(not a single id)';
  return new SessionError('session_not_found', `no session ${shown}`);
}

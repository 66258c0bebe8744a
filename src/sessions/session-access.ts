/**
 * The one home of "this session for this identity": every HTTP route, both WebSockets, the turn
 * runner and the agent's tools open sessions here. A session that does not exist, belongs to
 * another workspace or user, or is named by something that is not a plain id string is the same
 * `session_not_found`, so no answer tells an unknown id from someone else's.
 */
import type { Page } from '../store/page.js';
import type { Identity, SessionRow } from '../store/session-store.js';
import type { TurnRow } from '../store/turn-store.js';
import { OwnedSession, type SessionDataStore } from './owned-session.js';
import { SessionError } from './session-error.js';
import type { SessionSandboxes } from './session-sandboxes.js';

export interface SessionAccessDeps {
  store: SessionDataStore;
  sandboxes: SessionSandboxes;
  /** Where a session's `load_document` paths live. */
  workspaceRoot(workspaceId: string, sessionId: string): string;
}

const MAX_ID_LENGTH = 200;

export function isOwnedBy(row: { workspaceId: string; userId: string }, identity: Identity): boolean {
  return row.workspaceId === identity.workspaceId && row.userId === identity.userId;
}

export class SessionAccess {
  constructor(private readonly deps: SessionAccessDeps) {}

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

  async create(identity: Identity, fields: { title?: string } = {}): Promise<OwnedSession> {
    await this.deps.store.ensureIdentity(identity);
    return this.wrap(await this.deps.store.createSession(identity, fields));
  }

  /** The caller's sessions, newest first. */
  list(
    identity: Identity,
    options: { query?: string; limit: number; cursor?: string; includeArchived?: boolean },
  ): Promise<Page<SessionRow>> {
    return this.deps.store.listSessions(identity, options);
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

/**
 * The session aggregate's seam: identities, and sessions with their core memory and history
 * summary. Ownership is not checked here: `sessions/` (SessionAccess) is the only caller that
 * hands a session to anyone, after comparing its identity.
 */
import type { Page } from './page.js';

export interface Identity {
  workspaceId: string;
  userId: string;
}

export type SessionStatus = 'active' | 'archived';

export interface CoreMemory {
  persona: string;
  human: string;
  scratchpad: string;
}

export interface SessionRow extends Identity {
  id: string;
  title: string;
  status: SessionStatus;
  createdAt: number;
  updatedAt: number;
  archivedAt: number | null;
  activeDocumentId: string | null;
  coreMemory: CoreMemory;
  /** Summary of turns older than the ones kept verbatim in the prompt. */
  historySummary: string;
  /** Index of the last turn folded into historySummary (0 = none). */
  summarizedThrough: number;
}

/** Which of an identity's sessions a list or count covers. */
export interface SessionFilter {
  query?: string;
  status?: SessionStatus;
  includeArchived?: boolean;
}

export interface SessionListOptions extends SessionFilter {
  limit: number;
  cursor?: string;
  offset?: number;
}

export interface SessionStore {
  ensureIdentity(identity: Identity): Promise<void>;
  /** A random id unless `id` is given; an id that exists already throws DuplicateSessionError. */
  createSession(identity: Identity, fields?: { title?: string; id?: string }): Promise<SessionRow>;
  getSession(id: string): Promise<SessionRow | undefined>;
  /**
   * Newest first; `query` matches the title or any user message (case-insensitive substring).
   * `status` keeps one status only (it overrides `includeArchived`); `offset` skips that many
   * (for clients that page by offset; `cursor` is the stable way).
   */
  listSessions(identity: Identity, options: SessionListOptions): Promise<Page<SessionRow>>;
  /** How many sessions `listSessions` would list over all its pages. */
  countSessions(identity: Identity, filter: SessionFilter): Promise<number>;
  updateSession(
    id: string,
    patch: Partial<
      Pick<SessionRow, 'title' | 'activeDocumentId' | 'coreMemory' | 'historySummary' | 'summarizedThrough'>
    >,
  ): Promise<void>;
  archiveSession(id: string, at: number): Promise<void>;
  /** Deletes archived sessions older than `before` with everything they own; returns how many. */
  purgeArchivedSessions(before: number): Promise<number>;
}

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

export interface SessionStore {
  ensureIdentity(identity: Identity): Promise<void>;
  createSession(identity: Identity, fields?: { title?: string }): Promise<SessionRow>;
  getSession(id: string): Promise<SessionRow | undefined>;
  /** Newest first; `query` matches the title or any user message (case-insensitive substring). */
  listSessions(
    identity: Identity,
    options: { query?: string; limit: number; cursor?: string; includeArchived?: boolean },
  ): Promise<Page<SessionRow>>;
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

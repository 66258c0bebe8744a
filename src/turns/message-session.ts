/**
 * Which session a `message` frame lands in: the one it names (the caller's, and active), or a
 * new one — under the id the client chose when that id is an unknown well-formed UUID (the
 * original Workbench makes its session ids in the browser), else under a random id. Also makes
 * the documents a message names the session's active one. The turn runner decides when: its
 * refusals come between `openNamedSession` and `createMessageSession`, so a refused message
 * leaves no session behind.
 */
import type { OwnedSession } from '../sessions/owned-session.js';
import { isClientSessionId, type SessionAccess } from '../sessions/session-access.js';
import { SessionError } from '../sessions/session-error.js';
import type { DocumentMeta } from '../store/document-store.js';
import type { Identity } from '../store/session-store.js';
import { TurnError } from './turn-error.js';

/**
 * The session a message names, or undefined when the id is an unknown well-formed UUID (a new
 * session's id the client chose). Anything else unknown or not the caller's is
 * `session_not_found`; an archived session is `session_archived`.
 */
export async function openNamedSession(
  sessions: SessionAccess,
  identity: Identity,
  sessionId: string,
): Promise<OwnedSession | undefined> {
  try {
    return await sessions.open(identity, sessionId, { active: true });
  } catch (error) {
    const unknown = SessionError.isInstance(error) && error.code === 'session_not_found';
    if (unknown && isClientSessionId(sessionId)) return undefined;
    throw error;
  }
}

/**
 * A new session for a message that named none (a random id) or a client-chosen one. Two first
 * messages racing for one id both get the one session; someone else's id is `session_not_found`.
 */
export function createMessageSession(
  sessions: SessionAccess,
  identity: Identity,
  sessionId: string | undefined,
): Promise<OwnedSession> {
  return sessions.create(identity, sessionId ? { id: sessionId } : {});
}

/** The newest of the given documents becomes the active one; all must be the session's. */
export async function activateMessageDocuments(session: OwnedSession, ids: string[]): Promise<void> {
  let newest: DocumentMeta | undefined;
  for (const id of ids) {
    const document = await session.documents.get(id).catch(() => {
      throw new TurnError('invalid_frame', `document ${id} is not in session ${session.id}`);
    });
    if (!newest || document.createdAt >= newest.createdAt) newest = document;
  }
  if (newest) await session.documents.activate(newest);
}

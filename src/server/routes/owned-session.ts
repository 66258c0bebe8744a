/** Loads a session for the caller; someone else's session is reported as missing (404). */
import type { Identity, SessionRow, Store } from '../../store/store.js';
import { HttpError } from '../http-error.js';

export async function ownedSession(store: Store, identity: Identity, sessionId: string): Promise<SessionRow> {
  const session = await store.getSession(sessionId);
  if (!session || session.workspaceId !== identity.workspaceId || session.userId !== identity.userId) {
    throw new HttpError(404, 'session_not_found', `no session ${sessionId}`);
  }
  return session;
}

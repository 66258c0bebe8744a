/**
 * The cursor of `listSessions`: the list cursor of `list-cursor.ts` keyed by (updatedAt, id)
 * of the last session of a page.
 */
import { decodeListCursor, encodeListCursor } from './list-cursor.js';

export { InvalidCursorError } from './list-cursor.js';

export interface SessionCursor {
  updatedAt: number;
  id: string;
}

export function encodeSessionCursor(cursor: SessionCursor): string {
  return encodeListCursor({ at: cursor.updatedAt, id: cursor.id });
}

export function decodeSessionCursor(text: string): SessionCursor {
  const { at, id } = decodeListCursor(text);
  return { updatedAt: at, id };
}

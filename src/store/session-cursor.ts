/**
 * The opaque cursor of `listSessions`: the sort key (updatedAt, id) of the last session of a
 * page, base64url-encoded JSON. Keyset pagination, so sessions created or updated while a
 * client pages through never shift later pages.
 */

export interface SessionCursor {
  updatedAt: number;
  id: string;
}

export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super('invalid session list cursor: pass back the nextCursor of a previous page unchanged');
    this.name = 'InvalidCursorError';
  }
}

export function encodeSessionCursor(cursor: SessionCursor): string {
  return Buffer.from(JSON.stringify([cursor.updatedAt, cursor.id])).toString('base64url');
}

export function decodeSessionCursor(text: string): SessionCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(text);
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !Number.isSafeInteger(parsed[0]) ||
    typeof parsed[1] !== 'string'
  ) {
    throw new InvalidCursorError(text);
  }
  return { updatedAt: parsed[0] as number, id: parsed[1] as string };
}

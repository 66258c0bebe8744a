/**
 * The opaque cursor of the store's newest-first lists (sessions, traces): the sort key of the
 * last item of a page — a time in epoch milliseconds, then an id that breaks ties — as
 * base64url-encoded JSON. Keyset pagination, so rows added while a client pages through never
 * shift later pages. Every list shares one InvalidCursorError, so the server maps a bad cursor
 * to one response whichever list it came from.
 */

import { FleetError } from '../contract/fleet-error.js';

export interface ListCursor {
  at: number;
  id: string;
}

export class InvalidCursorError extends FleetError<'invalid_cursor'> {
  static override readonly errorName = 'InvalidCursorError';

  constructor(readonly cursor: string) {
    super('invalid_cursor', 'invalid list cursor: pass back the nextCursor of a previous page unchanged');
  }
}

export function encodeListCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');
}

export function decodeListCursor(text: string): ListCursor {
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
  return { at: parsed[0] as number, id: parsed[1] as string };
}

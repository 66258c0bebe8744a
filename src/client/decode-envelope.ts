/**
 * Reading one server frame: bytes to a typed `ServerEnvelope`, or a description of what was
 * wrong with it. Errors are values here (zod `safeParse`), so a bad frame from the server is
 * reported to the client's listeners and never thrown into the socket's event loop.
 */
import type { RawData } from 'ws';
import { z } from 'zod';
import { type ServerEnvelope, serverEnvelope } from '../contract/chat-events.js';

export interface MalformedFrame {
  raw: string;
  problem: string;
}

export type DecodedFrame = { ok: true; envelope: ServerEnvelope } | { ok: false; malformed: MalformedFrame };

export function decodeEnvelope(data: RawData, isBinary: boolean): DecodedFrame {
  const raw = rawText(data);
  if (isBinary) return { ok: false, malformed: { raw, problem: 'a binary frame' } };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, malformed: { raw, problem: `not JSON: ${(error as Error).message}` } };
  }
  const parsed = serverEnvelope.safeParse(json);
  if (!parsed.success) return { ok: false, malformed: { raw, problem: z.prettifyError(parsed.error) } };
  return { ok: true, envelope: parsed.data };
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

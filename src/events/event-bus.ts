/**
 * The fan-out seam: frames already persisted in the replay log are published here, keyed by
 * session, and every subscriber of that session receives them in order. In process by default;
 * a Redis backend (pub/sub) can replace it so viewers on another server see the same frames.
 */
import type { EventStream } from '../store/store.js';

export interface BusMessage {
  stream: EventStream;
  seq: number;
  frame: unknown;
  /** The frame serialized once, so a hundred viewers do not stringify it a hundred times. */
  text: string;
}

export interface EventBus {
  publish(sessionKey: string, message: BusMessage): void;
  /** Returns the function that unsubscribes. */
  subscribe(sessionKey: string, listener: (message: BusMessage) => void): () => void;
  close(): Promise<void>;
}

/** One string per (workspace, user, session): a subscriber only ever sees its own tuple. */
export function sessionKey(workspaceId: string, userId: string, sessionId: string): string {
  return JSON.stringify([workspaceId, userId, sessionId]);
}

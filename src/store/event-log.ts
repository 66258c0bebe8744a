/**
 * The replay log: every frame of a session's two streams (chat on `/ws/execution`, passive on
 * `/ws/execution/events`), by gap-free per-stream seq, so a client that reconnects gets what it
 * missed. Bounded: the emitter trims each stream to the newest EVENTS_REPLAY_LIMIT frames, so
 * nothing that must outlive a reconnect window (a turn's outcome, its steps) lives only here.
 */
export type EventStream = 'chat' | 'passive';

export interface EventRow {
  sessionId: string;
  stream: EventStream;
  seq: number;
  turnId: string | null;
  /** The whole frame as sent on the socket. */
  frame: unknown;
  /** The same frame as JSON text: given on append to skip a second serialization, and always
   * returned on read so a replay sends the stored text as is. */
  frameJson?: string;
  createdAt: number;
}

export interface EventLog {
  /** Batch insert, one transaction; (sessionId, stream, seq) is unique. */
  appendEvents(events: EventRow[]): Promise<void>;
  /** Frames with seq > afterSeq, ascending, at most `limit`. */
  readEvents(sessionId: string, stream: EventStream, afterSeq: number, limit: number): Promise<EventRow[]>;
  /** Highest and lowest seq kept for the stream (0, 0 when empty). */
  seqRange(sessionId: string, stream: EventStream): Promise<{ first: number; last: number }>;
  /** Keeps only the newest `keep` frames of the stream. */
  trimEvents(sessionId: string, stream: EventStream, keep: number): Promise<void>;
}

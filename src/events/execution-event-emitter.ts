/**
 * The ExecutionEventEmitter: the one way frames reach clients. It gives each frame the next
 * per-session, per-stream `seq` (1, 2, 3, ... gap-free), appends it to the session's replay log,
 * then publishes it on the bus to every subscriber of the (workspace, user, session) tuple.
 * Subscriptions (subscription.ts) replay from the log and continue live, exactly once.
 * Frames are typed by the contract (`src/contract/`): `emitEvent<K>` takes exactly the payload
 * of kind K, and every frame of either stream gets its own `event_id`.
 */
import { randomUUID } from 'node:crypto';
import {
  type ChatEventOf,
  EVENT_VERSION,
  type EventEnvelope,
  type EventKind,
  type PayloadOf,
} from '../contract/chat-events.js';
import type { PassiveFrameInput, PassiveFrameOf, PassiveType } from '../contract/passive-frames.js';
import type { EventLog, EventStream } from '../store/event-log.js';
import { type EventBus, sessionKey } from './event-bus.js';
import { EventLogWriter } from './event-log-writer.js';

export interface SessionRef {
  workspaceId: string;
  userId: string;
  sessionId: string;
}

interface StreamState {
  /** Last seq handed out; undefined until read from the log. */
  last?: number;
  loading?: Promise<void>;
  sinceTrim: number;
  /** Frames handed a seq and not written yet. */
  inFlight: number;
}

export interface EmitterStats {
  emitted: number;
  notDurable: number;
  /** Stream counters held in memory (bounded: idle ones are dropped and read again on use). */
  streams: number;
}

export interface EmitterOptions {
  replayLimit: number;
  /** Stream counters kept beyond the ones being written to; the oldest idle ones go first. */
  maxIdleStreams?: number;
  log?: (message: string) => void;
}

const MAX_IDLE_STREAMS = 1024;

export class ExecutionEventEmitter {
  private readonly streams = new Map<string, StreamState>();
  private readonly writer: EventLogWriter;
  private readonly counters = { emitted: 0, notDurable: 0 };

  constructor(
    readonly store: EventLog,
    readonly bus: EventBus,
    private readonly options: EmitterOptions,
  ) {
    this.writer = new EventLogWriter(store, options.log);
  }

  /** A chat event on `/ws/execution`; resolves with the frame once it is durable and published. */
  async emitEvent<K extends EventKind>(
    ref: SessionRef,
    turnId: string | null,
    kind: K,
    text: string,
    payload: PayloadOf<K>,
  ): Promise<ChatEventOf<K>> {
    const envelope = await this.append(ref, 'chat', turnId, (seq) => ({
      type: 'event',
      data: {
        kind,
        text,
        payload,
        timestamp: new Date().toISOString(),
        version: EVENT_VERSION,
        event_id: randomUUID(),
        seq,
        session_id: ref.sessionId,
        turn_id: turnId,
      },
    }));
    return (envelope as EventEnvelope).data as ChatEventOf<K>;
  }

  /** A frame on the read-only `/ws/execution/events`. */
  emitPassive<T extends PassiveType>(
    ref: SessionRef,
    turnId: string | null,
    frame: PassiveFrameInput<T>,
  ): Promise<PassiveFrameOf<T>> {
    return this.append(ref, 'passive', turnId, (seq) => ({
      ...frame,
      seq,
      event_id: randomUUID(),
      workspace_id: ref.workspaceId,
      user_id: ref.userId,
      session_id: ref.sessionId,
    })) as Promise<PassiveFrameOf<T>>;
  }

  stats(): EmitterStats {
    return { ...this.counters, streams: this.streams.size };
  }

  /** Resolves once every frame emitted so far is written. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /**
   * Seq is taken synchronously once the stream's counter is loaded, so frames keep the order in
   * which they were emitted even though writing and publishing are asynchronous.
   */
  private append(
    ref: SessionRef,
    stream: EventStream,
    turnId: string | null,
    build: (seq: number) => unknown,
  ): Promise<unknown> {
    const state = this.streams.get(streamKey(ref.sessionId, stream));
    if (state?.last !== undefined) return this.appendLoaded(state, ref, stream, turnId, build);
    return this.state(ref.sessionId, stream).then((loaded) =>
      this.appendLoaded(loaded, ref, stream, turnId, build),
    );
  }

  /** Loads the session's counters; afterwards emits take their seq synchronously. */
  async ready(sessionId: string): Promise<void> {
    await Promise.all([this.state(sessionId, 'chat'), this.state(sessionId, 'passive')]);
  }

  private async appendLoaded(
    state: StreamState,
    ref: SessionRef,
    stream: EventStream,
    turnId: string | null,
    build: (seq: number) => unknown,
  ): Promise<unknown> {
    const seq = ++state.last!;
    const frame = build(seq);
    const text = JSON.stringify(frame);
    // Counted before the first await: a state with writes in flight is never dropped, since a
    // fresh one read from the log then could hand out a seq that is not durable yet.
    state.inFlight++;
    let durable: boolean;
    try {
      durable = await this.writer.write({
        sessionId: ref.sessionId,
        stream,
        seq,
        turnId,
        frame,
        frameJson: text,
        createdAt: Date.now(),
      });
    } finally {
      state.inFlight--;
    }
    this.counters.emitted++;
    if (!durable) this.counters.notDurable++;
    this.bus.publish(sessionKey(ref.workspaceId, ref.userId, ref.sessionId), { stream, seq, frame, text });
    if (++state.sinceTrim >= Math.max(100, Math.floor(this.options.replayLimit / 10))) {
      state.sinceTrim = 0;
      this.store
        .trimEvents(ref.sessionId, stream, this.options.replayLimit)
        .catch((error: unknown) => this.options.log?.(`trimming the replay log failed: ${String(error)}`));
    }
    this.dropIdleStreams();
    return frame;
  }

  /** Keeps the counters map bounded: the oldest counters with nothing in flight are dropped. */
  private dropIdleStreams(): void {
    const limit = this.options.maxIdleStreams ?? MAX_IDLE_STREAMS;
    if (this.streams.size <= limit) return;
    for (const [key, state] of this.streams) {
      if (this.streams.size <= limit) return;
      if (state.inFlight === 0 && state.last !== undefined) this.streams.delete(key);
    }
  }

  /**
   * The stream's counter, read once from the log so seq continues across restarts (and after
   * an idle counter was dropped).
   */
  private async state(sessionId: string, stream: EventStream): Promise<StreamState> {
    const key = streamKey(sessionId, stream);
    let state = this.streams.get(key);
    if (!state) {
      const created: StreamState = { sinceTrim: 0, inFlight: 0 };
      created.loading = this.store.seqRange(sessionId, stream).then(
        (range) => {
          created.last = range.last;
        },
        (error: unknown) => {
          this.streams.delete(key); // the next emit tries the log again
          throw error;
        },
      );
      this.streams.set(key, created);
      state = created;
    }
    if (state.last === undefined) await state.loading;
    // Dropped while it loaded (it was idle): use the one in the map now, so seqs stay unique.
    return this.streams.get(key) === state ? state : this.state(sessionId, stream);
  }

  /** Forget a deleted session's counters. */
  forget(sessionId: string): void {
    this.streams.delete(streamKey(sessionId, 'chat'));
    this.streams.delete(streamKey(sessionId, 'passive'));
  }
}

function streamKey(sessionId: string, stream: EventStream): string {
  return `${stream}\u0000${sessionId}`;
}

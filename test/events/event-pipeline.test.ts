/**
 * The event pipeline on a real SQLite store: per-session seq, durability before delivery,
 * replay + live exactly once, and slow subscribers falling back to the log with bounded memory.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { EventEnvelope } from '../../src/contract/chat-events.js';
import { sessionKey } from '../../src/events/event-bus.js';
import { ExecutionEventEmitter, type SessionRef } from '../../src/events/execution-event-emitter.js';
import { MemoryEventBus } from '../../src/events/memory-event-bus.js';
import { type FrameSink, Subscription } from '../../src/events/subscription.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { PROGRESS } from '../support/frame-fixtures.js';

let store: Store;
let bus: MemoryEventBus;
let emitter: ExecutionEventEmitter;
let ref: SessionRef;

beforeEach(async () => {
  store = await openStore(loadConfig({ FLEET_DATA_DIR: mkdtempSync(join(tmpdir(), 'fleet-events-')) }));
  const identity = { workspaceId: 'w', userId: 'u' };
  await store.ensureIdentity(identity);
  const session = await store.createSession(identity);
  ref = { ...identity, sessionId: session.id };
  bus = new MemoryEventBus();
  emitter = new ExecutionEventEmitter(store, bus, { replayLimit: 10_000 });
});
afterEach(async () => {
  await store.close();
});

class CollectingSink implements FrameSink {
  readonly seqs: number[] = [];
  jammed = false;
  send(frame: unknown): void {
    this.seqs.push((frame as EventEnvelope).data.seq);
  }
  congested(): boolean {
    return this.jammed;
  }
}

function subscribe(sink: FrameSink, sinceSeq?: number, queueLimit = 256) {
  return new Subscription(
    {
      store,
      bus,
      sessionKey: sessionKey(ref.workspaceId, ref.userId, ref.sessionId),
      sessionId: ref.sessionId,
      stream: 'chat',
      sinceSeq,
      queueLimit,
    },
    sink,
  );
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('ExecutionEventEmitter', () => {
  it('numbers frames 1..N per session and stream, even when emitted concurrently', async () => {
    const frames = await Promise.all(
      range(1, 50).map((n) => emitter.emitEvent(ref, null, 'status', `frame ${n}`, PROGRESS)),
    );
    expect(frames.map((frame) => frame.seq)).toEqual(range(1, 50));
    expect(frames.map((frame) => frame.text)).toEqual(range(1, 50).map((n) => `frame ${n}`));
    const passive = await emitter.emitPassive(ref, null, {
      type: 'execution_started',
      run_id: 'r',
      step: null,
      summary: { turn_id: 'r', turn_index: 1, task: 'a task' },
    });
    expect(passive.seq).toBe(1);
    expect(passive.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await store.seqRange(ref.sessionId, 'chat')).last).toBe(50);
  });

  it('publishes a frame only after it is in the replay log', async () => {
    const seenInLog: boolean[] = [];
    bus.subscribe(sessionKey(ref.workspaceId, ref.userId, ref.sessionId), (message) => {
      void store
        .readEvents(ref.sessionId, 'chat', message.seq - 1, 1)
        .then((rows) => seenInLog.push(rows[0]?.seq === message.seq));
    });
    await Promise.all(range(1, 20).map(() => emitter.emitEvent(ref, null, 'status', 'x', PROGRESS)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seenInLog).toEqual(range(1, 20).map(() => true));
  });

  it('continues the sequence after a restart', async () => {
    await emitter.emitEvent(ref, null, 'status', 'before', PROGRESS);
    await emitter.emitEvent(ref, null, 'status', 'before', PROGRESS);
    const restarted = new ExecutionEventEmitter(store, new MemoryEventBus(), { replayLimit: 10_000 });
    expect((await restarted.emitEvent(ref, null, 'status', 'after', PROGRESS)).seq).toBe(3);
  });
});

describe('Subscription', () => {
  it('replays after sinceSeq, then continues live, each seq exactly once', async () => {
    for (const n of range(1, 10)) await emitter.emitEvent(ref, null, 'status', `${n}`, PROGRESS);
    const sink = new CollectingSink();
    const subscription = subscribe(sink, 4);
    const live = Promise.all(
      range(11, 30).map(() => emitter.emitEvent(ref, null, 'status', 'live', PROGRESS)),
    );
    await subscription.ready;
    await live;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sink.seqs).toEqual(range(5, 30));
    subscription.close();
  });

  it('starts live when no sinceSeq is given', async () => {
    for (const n of range(1, 5)) await emitter.emitEvent(ref, null, 'status', `${n}`, PROGRESS);
    const sink = new CollectingSink();
    const subscription = subscribe(sink);
    await subscription.ready;
    await emitter.emitEvent(ref, null, 'status', 'new', PROGRESS);
    expect(sink.seqs).toEqual([6]);
    subscription.close();
  });

  it('drops a slow subscriber to the log instead of queueing, and catches it up once it drains', async () => {
    const sink = new CollectingSink();
    const subscription = subscribe(sink, 0, 8);
    await subscription.ready;
    sink.jammed = true;
    for (const n of range(1, 500)) await emitter.emitEvent(ref, null, 'status', `${n}`, PROGRESS);
    // Jammed: at most the first frame went out before congestion was noticed, nothing queued.
    expect(sink.seqs.length).toBeLessThanOrEqual(1);
    sink.jammed = false;
    await new Promise((resolve) => setTimeout(resolve, 200));
    await emitter.emitEvent(ref, null, 'status', 'after', PROGRESS);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sink.seqs).toEqual(range(1, 501));
    subscription.close();
  });

  it('reports a gap when the requested frames were trimmed away', async () => {
    for (const n of range(1, 20)) await emitter.emitEvent(ref, null, 'status', `${n}`, PROGRESS);
    await store.trimEvents(ref.sessionId, 'chat', 5);
    const gaps: Array<[number, number]> = [];
    const sink = new CollectingSink();
    const subscription = new Subscription(
      {
        store,
        bus,
        sessionKey: sessionKey(ref.workspaceId, ref.userId, ref.sessionId),
        sessionId: ref.sessionId,
        stream: 'chat',
        sinceSeq: 2,
        queueLimit: 256,
        onGap: (oldest, requested) => gaps.push([oldest, requested]),
      },
      sink,
    );
    await subscription.ready;
    expect(gaps).toEqual([[16, 2]]);
    expect(sink.seqs).toEqual(range(16, 20));
    subscription.close();
  });
});

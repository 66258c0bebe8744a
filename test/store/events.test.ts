import { expect, it } from 'vitest';
import { events, newIdentity } from './fixtures.js';
import { describeEachStore } from './store-targets.js';

describeEachStore('store replay log', ({ handle }) => {
  it('appends a batch and reads after a seq, ascending, with a limit', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const session = await store.createSession(identity);
    const other = await store.createSession(identity);
    await store.appendEvents(events(session.id, 'chat', 1, 250, 'turn-1'));
    await store.appendEvents(events(session.id, 'passive', 1, 3));
    await store.appendEvents(events(other.id, 'chat', 1, 5));
    await store.appendEvents([]);

    const page = await store.readEvents(session.id, 'chat', 100, 20);
    expect(page.map((event) => event.seq)).toEqual(Array.from({ length: 20 }, (_, index) => 101 + index));
    expect(page[0]).toEqual({
      sessionId: session.id,
      stream: 'chat',
      seq: 101,
      turnId: 'turn-1',
      frame: { type: 'event', data: { seq: 101 } },
      frameJson: '{"type":"event","data":{"seq":101}}',
      createdAt: 1_101,
    });
    expect((await store.readEvents(session.id, 'chat', 240, 100)).map((event) => event.seq)).toEqual([
      241, 242, 243, 244, 245, 246, 247, 248, 249, 250,
    ]);
    expect(await store.readEvents(session.id, 'chat', 250, 10)).toEqual([]);
    expect((await store.readEvents(session.id, 'passive', 0, 10)).map((event) => event.turnId)).toEqual([
      null,
      null,
      null,
    ]);
  });

  it('stores frameJson as given, so a frame is serialized only once', async () => {
    const { store } = handle();
    const session = await store.createSession(newIdentity());
    const frameJson = '{"type":"event","data":{"kind":"status","seq":1}}';
    await store.appendEvents([
      {
        sessionId: session.id,
        stream: 'chat',
        seq: 1,
        turnId: null,
        frame: JSON.parse(frameJson),
        frameJson,
        createdAt: 1,
      },
    ]);
    const [row] = await store.readEvents(session.id, 'chat', 0, 1);
    expect(row!.frameJson).toBe(frameJson);
    expect(row!.frame).toEqual({ type: 'event', data: { kind: 'status', seq: 1 } });
  });

  it('keeps frames exactly, whatever JSON they hold', async () => {
    const { store } = handle();
    const session = await store.createSession(newIdentity());
    const frame = {
      type: 'event',
      data: {
        kind: 'assistant_token',
        text: 'emoji 👩‍💻🚀, CJK 漢字, RTL שלום, combining é, NUL \u0000, quotes "\'`, backslash \\',
        payload: { nested: { list: [1, 2.5, -3e-7, true, null, { deep: ['x'] }], empty: {}, zero: 0 } },
        version: 2,
      },
    };
    await store.appendEvents([
      { sessionId: session.id, stream: 'chat', seq: 1, turnId: null, frame, createdAt: 1 },
      { sessionId: session.id, stream: 'chat', seq: 2, turnId: null, frame: 'a bare string', createdAt: 2 },
      { sessionId: session.id, stream: 'chat', seq: 3, turnId: null, frame: null, createdAt: 3 },
    ]);
    const read = await store.readEvents(session.id, 'chat', 0, 10);
    expect(read.map((event) => event.frame)).toEqual([frame, 'a bare string', null]);
  });

  it('reports the kept seq range per stream', async () => {
    const { store } = handle();
    const session = await store.createSession(newIdentity());
    expect(await store.seqRange(session.id, 'chat')).toEqual({ first: 0, last: 0 });
    await store.appendEvents(events(session.id, 'chat', 1, 40));
    await store.appendEvents(events(session.id, 'passive', 7, 3));
    expect(await store.seqRange(session.id, 'chat')).toEqual({ first: 1, last: 40 });
    expect(await store.seqRange(session.id, 'passive')).toEqual({ first: 7, last: 9 });
  });

  it('trims a stream to its newest frames', async () => {
    const { store } = handle();
    const session = await store.createSession(newIdentity());
    await store.appendEvents(events(session.id, 'chat', 1, 30));
    await store.appendEvents(events(session.id, 'passive', 1, 30));
    await store.trimEvents(session.id, 'chat', 10);
    expect(await store.seqRange(session.id, 'chat')).toEqual({ first: 21, last: 30 });
    expect((await store.readEvents(session.id, 'chat', 0, 100)).map((event) => event.seq)).toEqual(
      Array.from({ length: 10 }, (_, index) => 21 + index),
    );
    expect(await store.seqRange(session.id, 'passive')).toEqual({ first: 1, last: 30 });
    await store.trimEvents(session.id, 'chat', 50);
    expect(await store.seqRange(session.id, 'chat')).toEqual({ first: 21, last: 30 });
    // New frames continue after a trim, and a later trim counts them.
    await store.appendEvents(events(session.id, 'chat', 31, 5));
    await store.trimEvents(session.id, 'chat', 3);
    expect(await store.seqRange(session.id, 'chat')).toEqual({ first: 33, last: 35 });
    await store.trimEvents(session.id, 'chat', 0);
    expect(await store.seqRange(session.id, 'chat')).toEqual({ first: 0, last: 0 });
  });

  it('rejects a repeated (session, stream, seq) and writes none of that batch', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const session = await store.createSession(identity);
    await store.appendEvents(events(session.id, 'chat', 1, 5));
    await expect(store.appendEvents(events(session.id, 'chat', 5, 3))).rejects.toThrow();
    expect(await store.seqRange(session.id, 'chat')).toEqual({ first: 1, last: 5 });
    await expect(
      store.appendEvents([...events(session.id, 'passive', 1, 2), ...events(session.id, 'passive', 2, 1)]),
    ).rejects.toThrow();
    expect(await store.seqRange(session.id, 'passive')).toEqual({ first: 0, last: 0 });
    // The same seq on the other stream or in another session is fine.
    await store.appendEvents(events(session.id, 'passive', 5, 1));
    await store.appendEvents(events((await store.createSession(identity)).id, 'chat', 5, 1));
  });

  it('appends batches larger than one statement', async () => {
    const { store } = handle();
    const session = await store.createSession(newIdentity());
    await store.appendEvents(events(session.id, 'chat', 1, 2500));
    expect(await store.seqRange(session.id, 'chat')).toEqual({ first: 1, last: 2500 });
    expect(await store.readEvents(session.id, 'chat', 0, 5000)).toHaveLength(2500);
  });
});

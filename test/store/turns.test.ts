import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { DuplicateTurnError } from '../../src/store/store.js';
import { addTurn, newIdentity, sessionWithTurn, step } from './fixtures.js';
import { describeEachStore } from './store-targets.js';

const usage = { inputTokens: 1200, outputTokens: 345, totalTokens: 1545, costUsd: 0.012345 };

describeEachStore('store turns, steps and feedback', ({ handle }) => {
  it('numbers turns 1, 2, 3 per session and bumps the session', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const session = await store.createSession(identity);
    const other = await store.createSession(identity);
    const first = await addTurn(store, session.id, identity, {
      userMessage:
        '  Summarise\nthe attached   contract, clause by clause, and flag anything unusual about the termination terms',
      startedAt: 9_000_000_000_000,
    });
    expect(first).toMatchObject({
      sessionId: session.id,
      ...identity,
      index: 1,
      clientMessageId: null,
      assistantMessage: null,
      executionMode: 'auto',
      status: 'running',
      error: null,
      startedAt: 9_000_000_000_000,
      finishedAt: null,
      durationMs: null,
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0, costUsd: 0 },
      traceId: null,
    });
    const second = await addTurn(store, session.id, identity, { userMessage: 'and now?', startedAt: 8_000 });
    const elsewhere = await addTurn(store, other.id, identity);
    const third = await addTurn(store, session.id, identity);
    expect([first.index, second.index, third.index, elsewhere.index]).toEqual([1, 2, 3, 1]);

    const bumped = await store.getSession(session.id);
    // The title comes from the first message: one line, 80 characters; updatedAt never goes back.
    expect(bumped?.title).toBe(
      'Summarise the attached contract, clause by clause, and flag anything unusual abo',
    );
    expect(bumped?.title).toHaveLength(80);
    expect(bumped?.updatedAt).toBe(9_000_000_000_000);
    expect(await store.getTurn(first.id)).toEqual(first);
    expect(await store.getTurn('missing')).toBeUndefined();
  });

  it('keeps a title that is already set', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const session = await store.createSession(identity, { title: 'Named' });
    await addTurn(store, session.id, identity, { userMessage: 'something else' });
    expect((await store.getSession(session.id))?.title).toBe('Named');
  });

  it('numbers concurrent turns of one session without gaps or repeats', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const session = await store.createSession(identity);
    const turns = await Promise.all(Array.from({ length: 8 }, () => addTurn(store, session.id, identity)));
    expect(turns.map((turn) => turn.index).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('refuses a second turn with the same client_message_id in a session', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const session = await store.createSession(identity);
    const other = await store.createSession(identity);
    const original = await addTurn(store, session.id, identity, { clientMessageId: 'msg-1' });
    const error = await addTurn(store, session.id, identity, { clientMessageId: 'msg-1' }).catch(
      (caught: unknown) => caught,
    );
    expect(DuplicateTurnError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ sessionId: session.id, clientMessageId: 'msg-1' });
    // The failed attempt consumed nothing: the next turn is number 2.
    expect((await addTurn(store, session.id, identity)).index).toBe(2);
    expect((await addTurn(store, other.id, identity, { clientMessageId: 'msg-1' })).index).toBe(1);
    // Turns without an id never collide.
    await addTurn(store, session.id, identity);
    expect(await store.findTurnByClientMessageId(session.id, 'msg-1')).toEqual(original);
    expect(await store.findTurnByClientMessageId(session.id, 'msg-2')).toBeUndefined();
  });

  it('fails clearly for a session that does not exist', async () => {
    const { store } = handle();
    await expect(addTurn(store, 'no-such-session', newIdentity())).rejects.toThrow(
      /no session no-such-session/,
    );
  });

  it('finishes a turn with its answer, usage, duration and trace id', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const session = await store.createSession(identity);
    const turn = await addTurn(store, session.id, identity, { startedAt: 1_700_000_000_000 });
    const failed = await addTurn(store, session.id, identity, { startedAt: 1_700_000_000_500 });
    await store.finishTurn(turn.id, {
      status: 'completed',
      assistantMessage: 'Réponse ✅ — 42',
      finishedAt: 1_700_000_002_250,
      usage,
      traceId: 'tr-0123456789abcdef',
    });
    await store.finishTurn(failed.id, {
      status: 'error',
      error: 'planner timed out',
      finishedAt: 1_700_000_001_000,
      usage,
    });
    expect(await store.getTurn(turn.id)).toEqual({
      ...turn,
      status: 'completed',
      assistantMessage: 'Réponse ✅ — 42',
      finishedAt: 1_700_000_002_250,
      durationMs: 2250,
      usage,
      traceId: 'tr-0123456789abcdef',
    });
    expect(await store.getTurn(failed.id)).toMatchObject({
      status: 'error',
      error: 'planner timed out',
      assistantMessage: null,
      durationMs: 500,
      traceId: null,
    });
  });

  it('lists the turns still running, across sessions', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const one = await store.createSession(identity);
    const two = await store.createSession(identity);
    const done = await addTurn(store, one.id, identity, { startedAt: 1 });
    const running = await addTurn(store, one.id, identity, { startedAt: 3 });
    const runningElsewhere = await addTurn(store, two.id, identity, { startedAt: 2 });
    await store.finishTurn(done.id, { status: 'cancelled', finishedAt: 4, usage });
    expect((await store.runningTurns()).map((turn) => turn.id)).toEqual([runningElsewhere.id, running.id]);
  });

  it('lists turns oldest first, with a limit and after an index', async () => {
    const { store } = handle();
    const identity = newIdentity();
    const session = await store.createSession(identity);
    for (let index = 0; index < 5; index++)
      await addTurn(store, session.id, identity, { userMessage: `m${index}` });
    await addTurn(store, (await store.createSession(identity)).id, identity);
    const indexes = async (options?: { limit?: number; afterIndex?: number }) =>
      (await store.listTurns(session.id, options)).map((turn) => turn.index);
    expect(await indexes()).toEqual([1, 2, 3, 4, 5]);
    expect(await indexes({ limit: 2 })).toEqual([1, 2]);
    expect(await indexes({ afterIndex: 3 })).toEqual([4, 5]);
    expect(await indexes({ afterIndex: 1, limit: 2 })).toEqual([2, 3]);
    expect(await indexes({ afterIndex: 5 })).toEqual([]);
    expect((await store.listTurns(session.id))[4]?.userMessage).toBe('m4');
  });

  it('appends steps in batches, keeps their order and JSON payloads', async () => {
    const { store } = handle();
    const { turn } = await sessionWithTurn(store);
    const nested = {
      messages: [{ role: 'user', content: 'Größe? 🐍 "quoted" \\ \u0000 \n end' }],
      options: { temperature: 0.2, tools: ['a', 'b'], nested: { deep: [1, [2, [3, null]]], flag: false } },
    };
    const first = [
      step(turn, 'r1', { input: nested, output: 'plain string', timestamp: 5 }),
      step(turn, 'r1', { input: null, output: 42, type: 'tool', label: 'run_python', timestamp: 5 }),
    ];
    const second = Array.from({ length: 1200 }, (_, index) =>
      step(turn, 'r2', {
        parentId: first[0]!.id,
        depth: 1,
        input: { index },
        output: undefined,
        timestamp: 1,
      }),
    );
    await store.appendSteps(first);
    await store.appendSteps(second);
    await store.appendSteps([]);
    const listed = await store.listSteps(turn.id);
    expect(listed).toHaveLength(1202);
    expect(listed.slice(0, 2)).toEqual(first);
    expect(listed.map((row) => row.id)).toEqual([...first, ...second].map((row) => row.id));
    expect(listed[1201]).toEqual({ ...second[1199], output: undefined });
    expect(await store.listSteps('other')).toEqual([]);
  });

  it('lists a turn’s steps in the order appendSteps was called, even when the writes overlap', async () => {
    const { store } = handle();
    const { turn } = await sessionWithTurn(store);
    // As the turn's event sink writes them: one step per call, none awaited before the next.
    const steps = Array.from({ length: 300 }, (_, index) => step(turn, 'r', { label: `step ${index}` }));
    await Promise.all(steps.map((row) => store.appendSteps([row])));
    expect((await store.listSteps(turn.id)).map((row) => row.label)).toEqual(steps.map((row) => row.label));
  });

  it('writes a batch of steps all or nothing', async () => {
    const { store } = handle();
    const { turn } = await sessionWithTurn(store);
    const kept = step(turn, 'r');
    await store.appendSteps([kept]);
    await expect(store.appendSteps([step(turn, 'r'), { ...kept }])).rejects.toThrow();
    expect((await store.listSteps(turn.id)).map((row) => row.id)).toEqual([kept.id]);
  });

  it('stores feedback and finds it by turn or trace', async () => {
    const { store } = handle();
    const { identity, session, turn } = await sessionWithTurn(store);
    const other = await addTurn(store, session.id, identity);
    const good = {
      id: randomUUID(),
      turnId: turn.id,
      traceId: 'trace-a',
      ...identity,
      isCorrect: true,
      comment: 'спасибо 👍',
      expectedResponse: null,
      createdAt: 2,
    };
    const bad = {
      ...good,
      id: randomUUID(),
      turnId: other.id,
      traceId: 'trace-b',
      isCorrect: false,
      comment: null,
      expectedResponse: 'the answer is 7',
      createdAt: 1,
    };
    await store.addFeedback(good);
    await store.addFeedback(bad);
    expect(await store.listFeedback({ turnId: turn.id })).toEqual([good]);
    expect(await store.listFeedback({ traceId: 'trace-b' })).toEqual([bad]);
    expect(await store.listFeedback({ turnId: turn.id, traceId: 'trace-b' })).toEqual([]);
    expect(await store.listFeedback()).toEqual([bad, good]);
  });
});

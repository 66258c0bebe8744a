/**
 * `GET /api/v1/sessions/{id}/turns/{turn_id}/steps`: a finished turn's execution-step tree, read
 * from the durable `steps` record (the replay log is trimmed, the steps are not). It must be the
 * tree the passive stream showed live, step for step, and someone else's turn must look unknown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionStep } from '../../src/contract/passive-frames.js';
import { bearer, runPython, securedHarness } from '../security/support/identities.js';
import { api, type Harness, PLANNER, RecordingSocket, script } from '../support/server-harness.js';

let harness: Harness;
let alice: Record<string, string>;
let bob: Record<string, string>;
let aliceSession: string;
let aliceTurn: string;
let liveSteps: ExecutionStep[];

const stepsPath = (sessionId: string, turnId: string) =>
  `/api/v1/sessions/${sessionId}/turns/${turnId}/steps`;

beforeAll(async () => {
  harness = await securedHarness();
  alice = await bearer('acme', 'alice');
  bob = await bearer('acme', 'bob');
  aliceSession = (await api(harness, 'POST', '/api/v1/sessions', {}, alice)).body!.id;
  const passive = await RecordingSocket.open(
    `${harness.wsUrl}/api/v1/ws/execution/events?session_id=${aliceSession}`,
    alice,
  );
  script(harness, [
    { model: PLANNER, times: 1, reply: runPython('print("step one")') },
    { model: PLANNER, reply: 'Done.' },
  ]);
  const chat = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`, alice);
  chat.send({ type: 'message', content: 'run something', session_id: aliceSession });
  await chat.untilTerminal();
  await passive.until(() => passive.passive().some((frame) => frame.type === 'execution_completed'));
  aliceTurn = chat.events().at(-1)!.turn_id!;
  liveSteps = passive
    .passive()
    .filter((frame) => frame.type === 'execution_step')
    .map((frame) => frame.step!);
  await chat.close();
  await passive.close();
});
afterAll(async () => {
  await harness?.close();
});

describe('turn steps over HTTP', () => {
  it('answers the tree the passive stream showed, in order, with parent ids', async () => {
    expect(liveSteps.map((step) => step.label)).toEqual(expect.arrayContaining(['run_python']));
    const answer = await api(harness, 'GET', stepsPath(aliceSession, aliceTurn), undefined, alice);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body!.items).toEqual(liveSteps);
    // One tree: every parent is a step listed before its child, or the one root of the turn.
    const seen = new Set<string>();
    const roots = new Set<string | null>();
    for (const step of answer.body!.items as ExecutionStep[]) {
      if (step.parent_id === null || !seen.has(step.parent_id)) roots.add(step.parent_id);
      seen.add(step.id);
    }
    expect(roots.size).toBe(1);
    expect(seen.size).toBe(liveSteps.length);
    expect(answer.body!.items.some((step: ExecutionStep) => seen.has(step.parent_id ?? ''))).toBe(true);
  });

  it('keeps the steps once the replay log has trimmed the turn’s frames', async () => {
    // What the emitter does past EVENTS_REPLAY_LIMIT: only the newest frame stays in the log.
    const { store } = harness.server;
    await store.trimEvents(aliceSession, 'passive', 1);
    expect(await store.readEvents(aliceSession, 'passive', 0, 1000)).toHaveLength(1);
    const answer = await api(harness, 'GET', stepsPath(aliceSession, aliceTurn), undefined, alice);
    expect(answer.body!.items).toHaveLength(liveSteps.length);
  });

  it('answers someone else’s turn, or a turn of another session, exactly like an unknown one', async () => {
    const bobSession = (await api(harness, 'POST', '/api/v1/sessions', {}, bob)).body!.id;
    const aliceOther = (await api(harness, 'POST', '/api/v1/sessions', {}, alice)).body!.id;
    const attempts: Array<[string, Record<string, string>, string]> = [
      [stepsPath(aliceSession, aliceTurn), bob, 'session_not_found'],
      [stepsPath(bobSession, aliceTurn), bob, 'turn_not_found'],
      [stepsPath(aliceOther, aliceTurn), alice, 'turn_not_found'],
      [stepsPath(aliceSession, 'no-such-turn'), alice, 'turn_not_found'],
      [stepsPath(bobSession, 'no-such-turn'), bob, 'turn_not_found'],
    ];
    for (const [path, who, code] of attempts) {
      const answer = await api(harness, 'GET', path, undefined, who);
      expect([answer.status, answer.body!.code], path).toEqual([404, code]);
    }
  });

  it('is described in the OpenAPI document', async () => {
    const openapi = await api(harness, 'GET', '/openapi.json');
    const route = openapi.body!.paths['/api/v1/sessions/{id}/turns/{turn_id}/steps'];
    expect(Object.keys(route.get.responses)).toEqual(expect.arrayContaining(['200', '404']));
  });
});

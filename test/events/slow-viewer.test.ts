/**
 * A viewer too slow for its turn, on a real server with a short replay log: it stops reading
 * (its TCP socket paused, so the server's send buffer fills), the turn goes on and the log is
 * trimmed past what the viewer saw, then it reads again. It may miss frames (the log no longer
 * has them), but never silently: on both sockets, every jump in seq comes right after a
 * `replay_gap` error naming the seq the stream continues from.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  type Harness,
  PLANNER,
  RecordingSocket,
  script,
  startHarness,
} from '../support/server-harness.js';

/** The smallest replay log the configuration allows: trimmed to 100 frames every 100 frames. */
const REPLAY_LIMIT = 100;
/** Tool calls in the turn's one tool step: about 600 frames on each stream. */
const CALLS = 300;
/**
 * Each call's code is this big, so the turn sends ~12 MB on the events socket and ~36 MB on the
 * chat socket (a tool_call frame repeats its arguments): far past what the kernel's socket
 * buffers and the server's 1 MB congestion mark take from a reader that does not read.
 */
const CODE_BYTES = 40_000;

function rawSocket(recording: RecordingSocket): Socket {
  return (recording.socket as unknown as { _socket: Socket })._socket;
}

/** Frame seq (chat events and passive frames alike), or the gap an error envelope announced. */
type Seen = { seq: number } | { gapTo: number };

function seen(frames: Array<Record<string, unknown>>): Seen[] {
  return frames.flatMap((frame): Seen[] => {
    if (frame.type === 'event') return [{ seq: (frame.data as { seq: number }).seq }];
    if (String(frame.type).startsWith('execution_')) return [{ seq: frame.seq as number }];
    if (frame.type === 'error' && frame.code === 'replay_gap')
      return [{ gapTo: (frame.details as { oldest_seq: number }).oldest_seq }];
    return [];
  });
}

/** Jumps in seq with no replay_gap announcing them (the frame before, the frame after). */
function silentJumps(sequence: Seen[]): Array<[number, number]> {
  const jumps: Array<[number, number]> = [];
  let last: number | undefined;
  let announced: number | undefined;
  for (const item of sequence) {
    if ('gapTo' in item) {
      announced = item.gapTo;
      continue;
    }
    if (last !== undefined && item.seq !== last + 1 && item.seq !== announced) jumps.push([last, item.seq]);
    last = item.seq;
    announced = undefined;
  }
  return jumps;
}

describe('a viewer that cannot keep up with a trimmed log', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ EVENTS_REPLAY_LIMIT: String(REPLAY_LIMIT) });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('is told of the frames it missed on both sockets, then gets the rest in order', async () => {
    const sessionId = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
    const filler = `# ${'x'.repeat(CODE_BYTES)}\n`;
    script(harness, [
      {
        model: PLANNER,
        times: 1,
        reply: {
          toolCalls: Array.from({ length: CALLS }, (_, index) => ({
            name: 'run_python',
            args: { code: `${filler}print(${index})` },
          })),
        },
      },
      { model: PLANNER, reply: 'All done.' },
    ]);
    const chat = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    const events = await RecordingSocket.open(
      `${harness.wsUrl}/api/v1/ws/execution/events?session_id=${sessionId}&since_seq=0`,
    );
    // Neither reads another byte until the turn is over and the log trimmed.
    rawSocket(chat).pause();
    rawSocket(events).pause();
    chat.send({ type: 'message', content: 'run them all', session_id: sessionId });
    const { store } = harness.server;
    let status = '';
    const deadline = performance.now() + 120_000;
    while (status !== 'completed') {
      if (performance.now() > deadline) throw new Error(`the turn did not finish (status ${status})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const turns = await api(harness, 'GET', `/api/v1/sessions/${sessionId}/turns`);
      status = turns.body?.items?.[0]?.status ?? '';
    }
    await harness.server.context.emitter.flush();
    const chatRange = await store.seqRange(sessionId, 'chat');
    const passiveRange = await store.seqRange(sessionId, 'passive');
    // The log really lost frames of this turn on both streams.
    expect(chatRange.first).toBeGreaterThan(REPLAY_LIMIT);
    expect(passiveRange.first).toBeGreaterThan(REPLAY_LIMIT);

    rawSocket(chat).resume();
    rawSocket(events).resume();
    await chat.until(() => chat.events().some((event) => event.seq === chatRange.last), 60_000);
    await events.until(() => events.passive().some((frame) => frame.seq === passiveRange.last), 60_000);

    for (const [name, socket] of [
      ['chat', chat],
      ['events', events],
    ] as const) {
      const sequence = seen(socket.frames);
      const seqs = sequence.flatMap((item) => ('seq' in item ? [item.seq] : []));
      expect(seqs.length, `${name}: some frames arrived`).toBeGreaterThan(0);
      // In order, each once, and what was skipped was announced.
      expect(
        seqs.every((seq, index) => index === 0 || seq > seqs[index - 1]!),
        `${name}: seqs increase`,
      ).toBe(true);
      expect.soft(silentJumps(sequence), `${name}: jumps in seq without a replay_gap`).toEqual([]);
      expect
        .soft(
          socket.errors().filter((error) => error.code === 'replay_gap').length,
          `${name}: replay_gap errors`,
        )
        .toBeGreaterThan(0);
    }
    expect(chat.events().at(-1)).toMatchObject({ kind: 'final', text: 'All done.' });
    expect(events.passive().at(-1)).toMatchObject({
      type: 'execution_completed',
      summary: { status: 'completed' },
    });
    await chat.close();
    await events.close();
  }, 180_000);
});

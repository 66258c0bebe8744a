/**
 * A priced turn through a real server: every model call of the turn — the agent's two steps
 * and the delegated RLM's iteration — is priced once where it ends (the traced model), and the
 * `final` frame, the stored turn and the metrics all add up to the same figure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  asKind,
  DELEGATE,
  type Harness,
  PLANNER,
  RecordingSocket,
  script,
  startHarness,
} from '../support/server-harness.js';

// USD per 1M tokens.
const PRICES = {
  [`openai/${PLANNER}`]: { input: 1, output: 2 },
  [`openai/${DELEGATE}`]: { input: 10, output: 20 },
};

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ FLEET_MODEL_PRICES: JSON.stringify(PRICES) });
});
afterAll(async () => {
  await harness?.close();
});

describe('the cost of a turn', () => {
  it('is the sum of each model call priced once, in the final frame and the stored turn', async () => {
    const id = (await api(harness, 'POST', '/api/v1/sessions', {})).body!.id as string;
    await api(harness, 'POST', `/api/v1/sessions/${id}/documents`, {
      name: 'doc.txt',
      text: 'the code is 42',
    });
    script(harness, [
      {
        model: PLANNER,
        times: 1,
        reply: {
          text: '',
          toolCalls: [{ name: 'delegate_to_rlm', args: { task: 'find the code' } }],
          usage: { input: 1000, output: 100 },
        },
      },
      {
        model: DELEGATE,
        reply: { text: '```repl\nSUBMIT(answer="42")\n```', usage: { input: 2000, output: 200 } },
      },
      { model: PLANNER, reply: { text: 'The code is 42.', usage: { input: 1500, output: 50 } } },
    ]);
    const socket = await RecordingSocket.open(`${harness.wsUrl}/api/v1/ws/execution`);
    socket.send({ type: 'message', content: 'What is the code?', session_id: id });
    await socket.untilTerminal();
    await socket.close();
    const final = asKind(socket.events().at(-1), 'final');
    const cost = (1000 * 1 + 100 * 2 + 1500 * 1 + 50 * 2 + 2000 * 10 + 200 * 20) / 1_000_000;
    expect(final.payload.usage).toEqual({
      input_tokens: 4500,
      output_tokens: 350,
      total_tokens: 4850,
      cost_usd: expect.closeTo(cost, 12),
    });
    expect(final.payload.cost_usd).toBeCloseTo(cost, 12);
    const turns = (await api(harness, 'GET', `/api/v1/sessions/${id}/turns`)).body!.items as Array<{
      usage: { cost_usd: number; total_tokens: number };
    }>;
    expect(turns.at(-1)!.usage.total_tokens).toBe(4850);
    expect(turns.at(-1)!.usage.cost_usd).toBeCloseTo(cost, 12);
  });
});

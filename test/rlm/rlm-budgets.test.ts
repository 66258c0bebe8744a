/**
 * Every way an RLM run can stop early ends with a typed termination and the best partial answer,
 * never a hang: iterations, sub-call budget, tokens, cost, run timeout, cancel, LM failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxProvider } from '../../src/sandbox/sandbox.js';
import { RlmHarness, ROOT_MODEL, SMALL_MODEL, turn, turns } from '../support/rlm-harness.js';
import type { ScriptedRequest, ScriptRule } from '../support/scripted-lm-server.js';

const isExtract = (request: ScriptedRequest) =>
  request.messages[0]?.content.startsWith('An RLM run stopped') ?? false;

function extractRule(answer: string): ScriptRule {
  return { model: ROOT_MODEL, match: isExtract, reply: JSON.stringify({ answer }) };
}

describe.each<SandboxProvider>(['pyodide', 'process'])('RLM budgets on the %s sandbox', (provider) => {
  let harness: RlmHarness;
  beforeAll(async () => {
    harness = await RlmHarness.start(provider, { [`openai/${ROOT_MODEL}`]: { input: 1000, output: 1000 } });
  });
  afterAll(async () => {
    await harness?.close();
  });
  const inputs = { context: 'some context', question: 'what is it?' };
  const extracts = () => harness.server.requests.filter(isExtract);

  it('max_iterations: stops after the last turn and extracts a best answer', async () => {
    const result = await harness.run(
      [
        extractRule('best guess from the notes'),
        { model: ROOT_MODEL, reply: turn("notes = 'partial'\nprint(notes)") },
      ],
      { inputs, budgets: { maxIterations: 2 } },
    );
    expect(result.termination).toMatchObject({ reason: 'max_iterations', limit: 2 });
    expect(result.status).toBe('partial');
    expect(result.answer).toBe('best guess from the notes');
    expect(result.iterations).toBe(2);
    expect(extracts()).toHaveLength(1);
    expect(extracts()[0]!.messages[1]!.content).toContain("notes = 'partial'");
    expect(result.trajectory.extract).toMatchObject({ reason: 'max_iterations', ok: true });
  });

  it('max_llm_calls: refuses the call past the budget, ends the run and extracts', async () => {
    const result = await harness.run(
      [
        extractRule('two of three answers'),
        ...turns(ROOT_MODEL, [
          turn("out = []\nfor i in range(3):\n    out.append(llm_query(f'q{i}'))\n    print(out[-1])"),
          turn("SUBMIT(answer='never reached')"),
        ]),
        { model: SMALL_MODEL, reply: (request) => `answer to ${request.messages.at(-1)?.content}` },
      ],
      { inputs, budgets: { maxLlmCalls: 2 } },
    );
    expect(result.termination).toMatchObject({ reason: 'max_llm_calls', limit: 2, used: 2 });
    expect(result.answer).toBe('two of three answers');
    expect(harness.requestsFor(SMALL_MODEL)).toHaveLength(2);
    const block = result.trajectory.iterations[0]!.blocks[0]!;
    expect(block.stdout).toBe('answer to q0\nanswer to q1\n');
    expect(block.error).toMatchObject({ type: 'CallError' });
    expect(block.error!.message).toContain('[max_llm_calls] LM call budget exhausted');
    expect(result.iterations).toBe(1);
    expect(extracts()).toHaveLength(1);
  });

  it('max_tokens: no extract; the last output stands', async () => {
    const result = await harness.run(
      [
        {
          model: ROOT_MODEL,
          reply: { text: turn("print('partial result 42')"), usage: { input: 80, output: 30 } },
        },
      ],
      { inputs, budgets: { maxTokens: 100 } },
    );
    expect(result.termination).toMatchObject({ reason: 'max_tokens', limit: 100, used: 110 });
    expect(result.answer).toBe('partial result 42');
    expect(result.status).toBe('partial');
    expect(extracts()).toHaveLength(0);
    expect(harness.requestsFor(ROOT_MODEL)).toHaveLength(1);
  });

  it('max_cost: no extract; the last SUBMIT attempt stands', async () => {
    const result = await harness.run(
      [
        {
          model: ROOT_MODEL,
          reply: { text: turn("SUBMIT(answer=['not', 'a', 'string'])"), usage: { input: 100, output: 10 } },
        },
      ],
      { inputs, budgets: { maxCostUsd: 0.05 } },
    );
    expect(result.termination.reason).toBe('max_cost');
    expect(result.usage.costUsd).toBeCloseTo(0.11, 6);
    expect(result.answer).toBe('["not","a","string"]');
    expect(extracts()).toHaveLength(0);
  });

  it('timeout: a hung model call is abandoned at the deadline and the extract still answers', async () => {
    const result = await harness.run(
      [
        extractRule('answer from what was seen'),
        ...turns(ROOT_MODEL, [turn("print('looked at the data')")]),
        { model: ROOT_MODEL, match: (request) => !isExtract(request), reply: { hang: true } },
      ],
      { inputs, budgets: { runTimeoutMs: 1_500 } },
    );
    expect(result.termination).toMatchObject({ reason: 'timeout', limit: 1_500 });
    expect(result.answer).toBe('answer from what was seen');
    expect(result.iterations).toBe(1);
    expect(extracts()).toHaveLength(1);
  });

  it('cancel: interrupts running code at once, no extract, the run returns', async () => {
    const controller = new AbortController();
    const running = harness.run(
      turns(ROOT_MODEL, [turn("print('before the long sleep')\nimport time\ntime.sleep(60)")]),
      { inputs, signal: controller.signal },
    );
    const started = performance.now();
    while (!harness.events.some((event) => event.type === 'code_output')) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (performance.now() - started > 20_000) throw new Error('code never started');
    }
    controller.abort();
    const result = await running;
    expect(result.termination.reason).toBe('cancelled');
    expect(result.trajectory.iterations[0]!.blocks[0]!.interrupted).toBe('cancelled');
    expect(result.answer).toBe('before the long sleep');
    expect(extracts()).toHaveLength(0);
  });

  it('lm_error: a failing model ends the run with the provider error', async () => {
    const result = await harness.run(
      [{ model: ROOT_MODEL, reply: { status: 401, errorBody: { error: { message: 'invalid api key' } } } }],
      { inputs },
    );
    expect(result.termination.reason).toBe('lm_error');
    expect(result.termination.detail).toContain('401');
    expect(result.answer).toBe('');
  });
});

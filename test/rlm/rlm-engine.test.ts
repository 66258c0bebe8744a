/**
 * RLM runs end to end: the real engine, the real AI SDK client over HTTP against a scripted
 * OpenAI-compatible server, and a real sandbox of each kind.
 */

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trajectoryLines } from '../../src/rlm/trajectory-jsonl.js';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import type { SandboxProvider } from '../../src/sandbox/sandbox.js';
import { SandboxPool } from '../../src/sandbox/sandbox-pool.js';
import {
  CHILD_MODEL,
  lastUserMessage,
  RlmHarness,
  ROOT_MODEL,
  SMALL_MODEL,
  turn,
  turns,
} from '../support/rlm-harness.js';

function haystack(size: number, needle: string): string {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const line = `2026-11-25T10:${String(i % 60).padStart(2, '0')}:00Z worker-${i % 17} processed batch ${i} in ${(i * 37) % 1000} ms`;
    lines.push(line);
    length += line.length + 1;
  }
  lines.splice(Math.floor(lines.length * 0.63), 0, needle);
  return lines.join('\n');
}

describe.each<SandboxProvider>(['pyodide', 'process'])('RLM engine on the %s sandbox', (provider) => {
  let harness: RlmHarness;
  beforeAll(async () => {
    harness = await RlmHarness.start(provider);
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('finds a needle in a multi-MB context with regex and llm_query, never sending the context', async () => {
    const context = haystack(3_000_000, 'NOTICE: the vault code is 7-4-1-9, rotate monthly.');
    const result = await harness.run(
      [
        ...turns(ROOT_MODEL, [
          turn(
            "import re\nm = re.search(r'vault code is ([\\d-]+)', context)\nsnippet = context[max(0, m.start() - 300): m.end() + 300]\nprint(len(context), m.start())",
            'Search for the code with a regex first.',
          ),
          turn("code = llm_query('What is the vault code in this text? ' + snippet)\nprint(code)"),
          turn('SUBMIT(answer=code.strip())'),
        ]),
        {
          model: SMALL_MODEL,
          reply: (request) =>
            lastUserMessage(request).includes('vault code is 7-4-1-9') ? '7-4-1-9' : 'not found',
        },
      ],
      { inputs: { context, question: 'What is the vault code?' } },
    );
    expect(result.status).toBe('completed');
    expect(result.answer).toBe('7-4-1-9');
    expect(result.iterations).toBe(3);
    expect(harness.server.unmatched).toEqual([]);
    for (const request of harness.server.requests) expect(request.bodyBytes).toBeLessThan(100_000);
    const first = lastUserMessage(harness.requestsFor(ROOT_MODEL)[0]!);
    expect(first).toContain(`\`context\`: str, ${context.length.toLocaleString('en-US')} chars`);
    expect(first).toContain('What is the vault code?');
    expect(first).not.toContain('7-4-1-9');
    const secondFeedback = lastUserMessage(harness.requestsFor(ROOT_MODEL)[1]!);
    expect(secondFeedback).toContain(`${context.length} ${context.indexOf('vault code is')}`);
    const callback = result.trajectory.iterations[1]!.blocks[0]!.callbacks[0]!;
    expect(callback).toMatchObject({ name: 'llm_query', ok: true, result: '7-4-1-9' });
    expect(result.llmCallsUsed).toBe(1);
    expect(result.usage.totalTokens).toBeGreaterThan(0);
  });

  it('fans llm_query_batched out concurrently, keeps order, and turns a failed item into [ERROR]', async () => {
    const result = await harness.run(
      [
        ...turns(ROOT_MODEL, [
          turn("rs = llm_query_batched(['q1', 'q2', 'q3', 'q4', 'q5'])\nprint(rs)"),
          turn("SUBMIT(answer=' | '.join(rs))"),
        ]),
        {
          model: SMALL_MODEL,
          match: (request) => lastUserMessage(request) === 'q3',
          reply: { status: 400, errorBody: { error: { message: 'bad prompt' } } },
        },
        { model: SMALL_MODEL, reply: (request) => ({ text: `A:${lastUserMessage(request)}`, delayMs: 300 }) },
      ],
      { inputs: { context: 'unused', question: 'batch' } },
    );
    const parts = result.answer.split(' | ');
    expect(parts.filter((_, index) => index !== 2)).toEqual(['A:q1', 'A:q2', 'A:q4', 'A:q5']);
    expect(parts[2]).toMatch(/^\[ERROR\] /);
    const small = harness.requestsFor(SMALL_MODEL);
    expect(small).toHaveLength(5);
    const slow = small.filter((request) => lastUserMessage(request) !== 'q3');
    const lastStart = Math.max(...slow.map((request) => request.receivedAt));
    const firstEnd = Math.min(...slow.map((request) => request.respondedAt ?? Number.POSITIVE_INFINITY));
    expect(lastStart).toBeLessThan(firstEnd); // all four were in flight at once
    const record = result.trajectory.iterations[0]!.blocks[0]!.callbacks[0]!;
    expect(record.items?.filter((item) => item.ok)).toHaveLength(4);
  });

  it('runs sub_rlm children down to max depth, then degrades sub_rlm to llm_query', async () => {
    const result = await harness.run(
      [
        ...turns(ROOT_MODEL, [
          turn("r = sub_rlm('level one task', context='ctx-A')\nprint(r)"),
          turn('SUBMIT(answer=r)'),
        ]),
        ...turns(CHILD_MODEL, [
          turn("r = sub_rlm('level two task', context=context + '-B')\nprint(r)"),
          turn("r = sub_rlm('level three task', context=context + '-C')\nprint(r)"),
          turn("SUBMIT(answer='d2:' + r)"),
          turn("SUBMIT(answer='d1:' + r)"),
        ]),
        {
          model: SMALL_MODEL,
          reply: (request) => {
            const prompt = lastUserMessage(request);
            return prompt.includes('level three task') && prompt.includes('ctx-A-B-C')
              ? 'plain:ok'
              : 'plain:bad';
          },
        },
      ],
      { inputs: { context: 'root context', question: 'go deep' }, budgets: { maxDepth: 2 } },
    );
    expect(result.answer).toBe('d1:d2:plain:ok');
    expect(harness.server.unmatched).toEqual([]);
    const depth1 = result.trajectory.iterations[0]!.blocks[0]!.callbacks[0]!.children![0]!;
    expect(depth1).toMatchObject({ depth: 1, model: `openai/${CHILD_MODEL}`, question: 'level one task' });
    const depth2 = depth1.iterations[0]!.blocks[0]!.callbacks[0]!.children![0]!;
    expect(depth2.depth).toBe(2);
    const degraded = depth2.iterations[0]!.blocks[0]!.callbacks[0]!;
    expect(degraded).toMatchObject({ name: 'sub_rlm', degraded: 'max_depth', ok: true, result: 'plain:ok' });
    expect(degraded.children).toEqual([]);
    const depth2System = harness.requestsFor(CHILD_MODEL)[1]!.messages[0]!.content;
    expect(depth2System).toContain('At this depth it runs as a plain llm_query.');
    expect(result.llmCallsUsed).toBe(5); // four child turns + one degraded call
    const starts = harness.events.filter((event) => event.type === 'run_started').map((event) => event.depth);
    const ends = harness.events.filter((event) => event.type === 'run_finished').map((event) => event.depth);
    expect(starts).toEqual([0, 1, 2]);
    expect(ends).toEqual([2, 1, 0]);
    const lines = trajectoryLines(result, {}).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'metadata', run_id: result.runId });
    expect(lines.at(-1)).toMatchObject({ type: 'result', answer: 'd1:d2:plain:ok' });
    const turnsInOrder = lines
      .filter((line) => line.type === 'iteration')
      .map((line) => `${line.depth}.${line.iteration}`);
    expect(turnsInOrder).toEqual(['2.1', '2.2', '1.1', '1.2', '0.1', '0.2']);
  });

  it('runs sub_rlm_batched children concurrently in sandboxes the pool can spare, answers in order', async () => {
    const pool = new SandboxPool({
      create: () => createSandbox({ provider, cacheDir: join(tmpdir(), 'fleet-rlm-test-cache') }),
      warm: 0,
      maxLive: 2,
      idleTimeoutMs: 60_000,
    });
    try {
      const result = await harness.run(
        [
          ...turns(ROOT_MODEL, [
            turn(
              "rs = sub_rlm_batched(['alpha', 'beta', 'gamma'], context='shared')\nSUBMIT(answer=' '.join(rs))",
            ),
          ]),
          {
            model: CHILD_MODEL,
            reply: () => ({ text: turn("SUBMIT(answer=question.upper() + '/' + context)"), delayMs: 400 }),
          },
        ],
        { inputs: { context: 'root', question: 'fan out' }, pool },
      );
      expect(result.answer).toBe('ALPHA/shared BETA/shared GAMMA/shared');
      const children = harness.requestsFor(CHILD_MODEL);
      expect(children).toHaveLength(3);
      // Three lanes (the parent's sandbox and two borrowed ones): all three children overlap.
      const lastStart = Math.max(...children.map((request) => request.receivedAt));
      const firstEnd = Math.min(
        ...children.map((request) => request.respondedAt ?? Number.POSITIVE_INFINITY),
      );
      expect(lastStart).toBeLessThan(firstEnd);
      const record = result.trajectory.iterations[0]!.blocks[0]!.callbacks[0]!;
      expect(record.children?.map((child) => child.question)).toEqual(['alpha', 'beta', 'gamma']);
      expect(pool.stats()).toMatchObject({ leased: 0 });
    } finally {
      await pool.shutdown();
    }
  });

  it('feeds a SUBMIT validation error back, then accepts the fixed SUBMIT', async () => {
    const result = await harness.run(
      turns(ROOT_MODEL, [turn("SUBMIT(result='forty-two')"), turn("SUBMIT(answer='forty-two')")]),
      { inputs: { context: 'c', question: 'q' } },
    );
    expect(result.status).toBe('completed');
    expect(result.answer).toBe('forty-two');
    const feedback = lastUserMessage(harness.requestsFor(ROOT_MODEL)[1]!);
    expect(feedback).toContain('[Error] SUBMIT is missing output field(s): answer. Call SUBMIT(answer=...).');
    expect(result.trajectory.iterations[0]!.submit).toMatchObject({
      valid: false,
      payload: { result: 'forty-two' },
    });
  });

  it('feeds a syntax error and an exception back with user-code tracebacks', async () => {
    const result = await harness.run(
      turns(ROOT_MODEL, [
        turn('def broken(:\n    pass'),
        turn("table = {}\ndef look(key):\n    return table[key]\nlook('missing')"),
        turn("SUBMIT(answer='recovered')"),
      ]),
      { inputs: { context: 'c', question: 'q' } },
    );
    expect(result.answer).toBe('recovered');
    const [, second, third] = harness.requestsFor(ROOT_MODEL).map(lastUserMessage);
    expect(second).toContain('SyntaxError');
    expect(second).toContain('<cell 1>');
    expect(third).toContain('Traceback (most recent call last)');
    expect(third).toContain("KeyError: 'missing'");
    expect(third).toContain('return table[key]');
    expect(`${second}${third}`).not.toContain('driver');
  });

  it('interrupts runaway code and keeps the REPL usable', async () => {
    const result = await harness.run(
      turns(ROOT_MODEL, [
        turn('kept = 7\nwhile True:\n    pass'),
        turn('print(kept * 6)'),
        turn('SUBMIT(answer=str(kept * 6))'),
      ]),
      { inputs: { context: 'c', question: 'q' }, budgets: { executeTimeoutMs: 400 } },
    );
    expect(result.answer).toBe('42');
    const [, second, third] = harness.requestsFor(ROOT_MODEL).map(lastUserMessage);
    expect(second).toContain('TimeoutError');
    expect(third).toContain('42');
    expect(result.trajectory.iterations[0]!.blocks[0]!.interrupted).toBe('timeout');
  });

  it('reminds the model when a reply has no code, and exposes host tools in the REPL', async () => {
    const result = await harness.run(
      turns(ROOT_MODEL, ['I think the answer is obvious.', turn("SUBMIT(answer=lookup('k1', scale=3))")]),
      {
        inputs: { context: 'c', question: 'q' },
        tools: [
          { name: 'lookup', params: ['key', 'scale'], run: async (args) => `${args.key}x${args.scale}` },
        ],
      },
    );
    expect(result.answer).toBe('k1x3');
    expect(lastUserMessage(harness.requestsFor(ROOT_MODEL)[1]!)).toContain('Your reply had no code block');
    expect(harness.requestsFor(ROOT_MODEL)[0]!.messages[0]!.content).toContain('`lookup(key, scale)`');
  });
});

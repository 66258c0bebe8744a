/**
 * `lm/usage.ts`, the one home of token usage: its zero, its sum, its wire form, and the usage
 * of one call, priced once. The last test counts price lookups through the real client against
 * the scripted server: one call, one lookup, however many layers report the call.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { ModelPrice } from '../../src/config/config.js';
import type { usageSchema } from '../../src/contract/usage-schema.js';
import { AiSdkLmClient } from '../../src/lm/ai-sdk-client.js';
import type { LmResponse } from '../../src/lm/lm-client.js';
import { callUsage } from '../../src/lm/pricing.js';
import type { LmCallRecord } from '../../src/tracing/observer-registry.js';
import { addUsage, fromWireUsage, toWireUsage, type Usage, ZERO_USAGE } from '../../src/util/usage.js';
import { ScriptedLmServer } from '../support/scripted-lm-server.js';

const usage = (inputTokens: number, outputTokens: number, costUsd: number | null): Usage => ({
  inputTokens,
  outputTokens,
  totalTokens: inputTokens + outputTokens,
  costUsd,
});

describe('usage', () => {
  it('starts from a zero that cannot be changed', () => {
    expect(ZERO_USAGE).toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0, costUsd: 0 });
    expect(Object.isFrozen(ZERO_USAGE)).toBe(true);
  });

  it('adds without changing either side; an unpriced call adds tokens but no cost', () => {
    const first = usage(10, 5, 0.5);
    const total = addUsage(addUsage(ZERO_USAGE, first), usage(3, 2, null));
    expect(total).toEqual({ inputTokens: 13, outputTokens: 7, totalTokens: 20, costUsd: 0.5 });
    expect(first).toEqual(usage(10, 5, 0.5));
    expect(ZERO_USAGE.inputTokens).toBe(0);
    expect(addUsage(usage(1, 1, null), usage(1, 1, null)).costUsd).toBeNull();
    expect(addUsage(usage(1, 1, null), usage(1, 1, 0.25)).costUsd).toBe(0.25);
  });

  it('converts to and from the wire, where an unknown cost is 0', () => {
    expect(toWireUsage(usage(12, 3, 0.01))).toEqual({
      input_tokens: 12,
      output_tokens: 3,
      total_tokens: 15,
      cost_usd: 0.01,
    });
    expect(toWireUsage(usage(1, 2, null)).cost_usd).toBe(0);
    expect(fromWireUsage(toWireUsage(usage(12, 3, 0.01)))).toEqual(usage(12, 3, 0.01));
    // Tolerant in what it reads (a span attribute written by an older server, say).
    expect(fromWireUsage({ input_tokens: 4 })).toEqual({
      inputTokens: 4,
      outputTokens: 0,
      totalTokens: 0,
      costUsd: 0,
    });
    expect(fromWireUsage(undefined)).toEqual(ZERO_USAGE);
    expectTypeOf(toWireUsage).returns.toEqualTypeOf<z.infer<typeof usageSchema>>();
  });

  it("prices one call from its token counts and the model's price", () => {
    const prices: Record<string, ModelPrice> = { 'openai/priced': { input: 2, output: 8 } };
    expect(callUsage('openai/priced', { inputTokens: 1200, outputTokens: 300 }, prices)).toEqual({
      inputTokens: 1200,
      outputTokens: 300,
      totalTokens: 1500,
      costUsd: 0.0048,
    });
    expect(callUsage('ollama/unpriced', { inputTokens: 1, outputTokens: 1 }, prices).costUsd).toBeNull();
    expect(callUsage('openai/priced', { inputTokens: undefined, outputTokens: undefined }, prices)).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      totalTokens: 0,
      costUsd: 0,
    });
  });
});

describe('cost of an LM call', () => {
  let server: ScriptedLmServer;
  beforeAll(async () => {
    server = await ScriptedLmServer.start();
  });
  afterAll(async () => {
    await server.close();
  });

  it('is worked out once, and the caller, the span and the observers all get that figure', async () => {
    server.script([{ model: 'counted', reply: { text: 'ok', usage: { input: 1000, output: 100 } } }]);
    let lookups = 0;
    // A price table that counts how often the model's price is read.
    const prices = new Proxy<Record<string, ModelPrice>>(
      { 'openai/counted': { input: 1, output: 10 } },
      {
        get(target, key, receiver) {
          if (key === 'openai/counted') lookups++;
          return Reflect.get(target, key, receiver);
        },
      },
    );
    const reports: LmCallRecord[] = [];
    const client = new AiSdkLmClient(
      {
        timeoutMs: 10_000,
        maxRetries: 0,
        prices,
        planner: { model: 'openai/counted', apiKey: 'sk-test', apiBase: server.baseUrl },
      },
      { onLmCall: (record) => reports.push(record) },
    );
    const response: LmResponse = await client.generate({
      role: 'planner',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(lookups).toBe(1);
    expect(response.usage).toEqual({
      inputTokens: 1000,
      outputTokens: 100,
      totalTokens: 1100,
      costUsd: 0.002,
    });
    expect(reports).toHaveLength(1);
    expect(reports[0]!.usage).toEqual(response.usage);
  });
});

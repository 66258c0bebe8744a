import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGETS } from '../../src/rlm/rlm-types.js';
import { RunTree } from '../../src/rlm/run-tree.js';

const usage = (tokens: number, costUsd: number | null) => ({
  inputTokens: tokens,
  outputTokens: 0,
  totalTokens: tokens,
  costUsd,
});

describe('RunTree budgets', () => {
  it('refuses a batch larger than what is left without stopping, then stops when nothing is left', () => {
    const tree = new RunTree({ ...DEFAULT_BUDGETS, maxLlmCalls: 5 }, undefined, () => {});
    expect(tree.chargeLlmCalls(3)).toEqual({ ok: true });
    const tooMany = tree.chargeLlmCalls(4);
    expect(tooMany).toEqual({
      ok: false,
      reason: 'max_llm_calls',
      message: 'LM call budget: this needs 4 calls but only 2 of 5 are left',
    });
    expect(tree.stopReason()).toBeUndefined();
    expect(tree.chargeLlmCalls(2)).toEqual({ ok: true });
    expect(tree.chargeLlmCalls(1).ok).toBe(false);
    expect(tree.stopReason()).toMatchObject({ reason: 'max_llm_calls', limit: 5, used: 5 });
  });

  it('stops on the token budget and on the cost budget', () => {
    const tokens = new RunTree({ ...DEFAULT_BUDGETS, maxTokens: 100 }, undefined, () => {});
    tokens.recordUsage(usage(60, null));
    expect(tokens.stopReason()).toBeUndefined();
    tokens.recordUsage(usage(50, null));
    expect(tokens.stopReason()).toMatchObject({ reason: 'max_tokens', limit: 100, used: 110 });
    const cost = new RunTree({ ...DEFAULT_BUDGETS, maxCostUsd: 0.01 }, undefined, () => {});
    cost.recordUsage(usage(10, 0.006));
    cost.recordUsage(usage(10, null));
    expect(cost.stopReason()).toBeUndefined();
    cost.recordUsage(usage(10, 0.006));
    expect(cost.stopReason()?.reason).toBe('max_cost');
  });

  it('distinguishes a cancel from the run timeout, and aborts its signal for both', async () => {
    const user = new AbortController();
    const cancelled = new RunTree(DEFAULT_BUDGETS, user.signal, () => {});
    user.abort();
    expect(cancelled.signal.aborted).toBe(true);
    expect(cancelled.stopReason()?.reason).toBe('cancelled');
    const timed = new RunTree({ ...DEFAULT_BUDGETS, runTimeoutMs: 20 }, undefined, () => {});
    await new Promise((resolve) => timed.signal.addEventListener('abort', resolve, { once: true }));
    expect(timed.stopReason()).toMatchObject({ reason: 'timeout', limit: 20 });
    expect(timed.chargeLlmCalls(1)).toMatchObject({ ok: false, reason: 'timeout' });
  });
});

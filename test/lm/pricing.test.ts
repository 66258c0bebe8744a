import { describe, expect, it } from 'vitest';
import { BUILT_IN_PRICES, costFor, priceFor } from '../../src/lm/pricing.js';

describe('pricing', () => {
  it('prices a built-in model per million tokens', () => {
    expect(BUILT_IN_PRICES['openai/gpt-4.1-mini']).toEqual({ input: 0.4, output: 1.6 });
    expect(costFor('openai/gpt-4.1-mini', { inputTokens: 1_000_000, outputTokens: 500_000 })).toBeCloseTo(
      1.2,
      10,
    );
  });

  it('prices a dated snapshot as its alias', () => {
    expect(priceFor('anthropic/claude-sonnet-4-5-20250929')).toEqual(
      BUILT_IN_PRICES['anthropic/claude-sonnet-4-5'],
    );
    expect(priceFor('openai/gpt-4.1-2025-04-14')).toEqual(BUILT_IN_PRICES['openai/gpt-4.1']);
  });

  it('returns null for an unknown model', () => {
    expect(costFor('ollama/llama3.1', { inputTokens: 10, outputTokens: 10 })).toBeNull();
    expect(costFor('not-a-spec', { inputTokens: 10, outputTokens: 10 })).toBeNull();
  });

  it('lets configured prices win, keyed by provider/model or bare id', () => {
    const prices = {
      'openai/gpt-4.1-mini': { input: 1, output: 2 },
      'llama3.1': { input: 0.5, output: 0.5 },
    };
    expect(costFor('openai/gpt-4.1-mini', { inputTokens: 1_000_000, outputTokens: 1_000_000 }, prices)).toBe(
      3,
    );
    expect(costFor('ollama/llama3.1', { inputTokens: 2_000_000, outputTokens: 0 }, prices)).toBe(1);
    // A bare id also matches behind another provider prefix.
    expect(priceFor('openai/llama3.1', prices)).toEqual({ input: 0.5, output: 0.5 });
  });

  it('prefers a full provider/model key over a bare id', () => {
    const prices = { 'gpt-4o': { input: 9, output: 9 }, 'openai/gpt-4o': { input: 1, output: 1 } };
    expect(priceFor('openai/gpt-4o', prices)).toEqual({ input: 1, output: 1 });
  });
});

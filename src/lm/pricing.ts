/**
 * What a call cost in USD, from token counts and a price table. The built-in table covers a few
 * common OpenAI and Anthropic models; `FLEET_MODEL_PRICES` (LmConfig.prices) overrides it and
 * adds any other model, keyed by `provider/model` or by the bare model id.
 */
import type { ModelPrice } from '../config/config.js';
import type { Usage } from '../util/usage.js';
import { parseModelSpec } from './model-spec.js';

/**
 * USD per 1M tokens, standard (non-batch, uncached) list prices as published around late 2025.
 * Approximate and dated: prices change, so set FLEET_MODEL_PRICES when the figure matters.
 */
export const BUILT_IN_PRICES: Readonly<Record<string, ModelPrice>> = {
  'openai/gpt-5': { input: 1.25, output: 10 },
  'openai/gpt-5-mini': { input: 0.25, output: 2 },
  'openai/gpt-5-nano': { input: 0.05, output: 0.4 },
  'openai/gpt-4.1': { input: 2, output: 8 },
  'openai/gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'openai/gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'openai/gpt-4o': { input: 2.5, output: 10 },
  'openai/gpt-4o-mini': { input: 0.15, output: 0.6 },
  'openai/o3': { input: 2, output: 8 },
  'openai/o4-mini': { input: 1.1, output: 4.4 },
  'anthropic/claude-opus-4-5': { input: 5, output: 25 },
  'anthropic/claude-opus-4-1': { input: 15, output: 75 },
  'anthropic/claude-sonnet-4-5': { input: 3, output: 15 },
  'anthropic/claude-sonnet-4': { input: 3, output: 15 },
  'anthropic/claude-haiku-4-5': { input: 1, output: 5 },
  'anthropic/claude-3-5-haiku': { input: 0.8, output: 4 },
};

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
}

/**
 * The price of `model` (`provider/model`): configured prices first (full key, then bare id),
 * then the built-in table, where a dated snapshot (`claude-sonnet-4-5-20250929`,
 * `gpt-4.1-2025-04-14`) is priced as its undated alias.
 */
export function priceFor(model: string, prices: Record<string, ModelPrice> = {}): ModelPrice | undefined {
  const modelId = bareId(model);
  const configured = prices[model] ?? (modelId === undefined ? undefined : prices[modelId]);
  if (configured) return configured;
  return BUILT_IN_PRICES[model] ?? BUILT_IN_PRICES[withoutDate(model)];
}

/** USD for one call, or null when the model's price is unknown. */
export function costFor(
  model: string,
  usage: TokenCounts,
  prices: Record<string, ModelPrice> = {},
): number | null {
  const price = priceFor(model, prices);
  if (!price) return null;
  return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
}

function bareId(model: string): string | undefined {
  try {
    return parseModelSpec(model).modelId;
  } catch {
    return undefined;
  }
}

function withoutDate(model: string): string {
  return model.replace(/-(\d{8}|\d{4}-\d{2}-\d{2})$/, '');
}

/**
 * The usage of one LM call from the counts its provider reported (missing counts are 0), priced
 * for `model` (`provider/model`): configured prices first, then the built-in table.
 */
export function callUsage(
  model: string,
  counts: { inputTokens: number | undefined; outputTokens: number | undefined },
  prices: Record<string, ModelPrice> = {},
): Usage {
  const inputTokens = counts.inputTokens ?? 0;
  const outputTokens = counts.outputTokens ?? 0;
  return {
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    costUsd: costFor(model, { inputTokens, outputTokens }, prices),
  };
}

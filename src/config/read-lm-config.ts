/** The model roles' settings, under fleet-rlm (Python)'s variable names. */
import { z } from 'zod';
import type { LmConfig } from './config.js';
import type { EnvReader } from './env-reader.js';

export function readLmConfig(read: EnvReader): LmConfig {
  const plannerModel = read.string('DSPY_LM_MODEL');
  const plannerKey = read.string('DSPY_LLM_API_KEY') ?? read.string('DSPY_LM_API_KEY');
  const plannerBase = read.string('DSPY_LM_API_BASE');
  const plannerMaxTokens = read.optionalInt('DSPY_LM_MAX_TOKENS', 1);
  const planner = plannerModel
    ? compact({ model: plannerModel, apiKey: plannerKey, apiBase: plannerBase, maxTokens: plannerMaxTokens })
    : undefined;
  const delegateModel = read.string('DSPY_DELEGATE_LM_MODEL');
  // A delegate without its own key/base borrows the planner's, as in fleet-rlm (Python).
  const delegate = delegateModel
    ? compact({
        model: delegateModel,
        apiKey: read.string('DSPY_DELEGATE_LM_API_KEY') ?? plannerKey,
        apiBase: read.string('DSPY_DELEGATE_LM_API_BASE') ?? plannerBase,
        maxTokens: read.optionalInt('DSPY_DELEGATE_LM_MAX_TOKENS', 1) ?? plannerMaxTokens,
      })
    : undefined;
  const smallModel = read.string('DSPY_DELEGATE_LM_SMALL_MODEL');
  const smallBase = delegate ?? planner;
  const delegateSmall = smallModel
    ? compact({
        model: smallModel,
        apiKey: read.string('DSPY_DELEGATE_LM_SMALL_API_KEY') ?? smallBase?.apiKey,
        apiBase: read.string('DSPY_DELEGATE_LM_SMALL_API_BASE') ?? smallBase?.apiBase,
        maxTokens: smallBase?.maxTokens,
      })
    : undefined;
  return {
    planner,
    delegate,
    delegateSmall,
    timeoutMs: read.seconds('RLM_LM_TIMEOUT') ?? 60_000,
    maxRetries: read.int('LM_MAX_RETRIES', 2, 0),
    prices: read.json('FLEET_MODEL_PRICES', priceTable) ?? {},
  };
}

const priceTable = z.record(
  z.string(),
  z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }),
);

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T;
}

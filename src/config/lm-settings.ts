/**
 * The model roles' settings under fleet-rlm (Python)'s variable names, and how the roles are
 * built from them: a delegate without its own key or base borrows the planner's, the small
 * delegate borrows the delegate's (else the planner's). The keys come after the models so the
 * runtime settings list them in the original's order.
 */
import { z } from 'zod';
import { int, json, seconds, text } from './env-values.js';
import { section, setting } from './setting.js';

const modelConfig = z.object({
  /** `provider/model`, e.g. `openai/gpt-4.1-mini`, `anthropic/claude-sonnet-4-5`, `ollama/llama3.1`. */
  model: z.string(),
  apiKey: z.string().optional(),
  apiBase: z.string().optional(),
  maxTokens: z.number().int().optional(),
});
export type ModelConfig = z.infer<typeof modelConfig>;

const modelPrice = z.object({
  /** USD per million input tokens. */
  input: z.number().nonnegative(),
  /** USD per million output tokens. */
  output: z.number().nonnegative(),
});
export type ModelPrice = z.infer<typeof modelPrice>;

const MODEL_DOC = '`provider/model`: `openai/…`, `anthropic/…`, `ollama/…`, `openrouter/…`';

export const lmSettings = section('Models', {
  plannerModel: setting({
    env: 'DSPY_LM_MODEL',
    value: text(),
    editable: 'model',
    example: 'openai/another',
    doc: `planner model (the chat agent, and \`fleet-rlm run\`'s root), ${MODEL_DOC}`,
  }),
  plannerApiBase: setting({
    env: 'DSPY_LM_API_BASE',
    value: text(),
    editable: 'url',
    doc: 'OpenAI-compatible base URL (`…/v1`); with it `openai/…` uses chat completions',
  }),
  plannerMaxTokens: setting({
    env: 'DSPY_LM_MAX_TOKENS',
    value: int(1),
    editable: 'positive_int',
    defaultText: 'provider default',
    doc: 'max output tokens per call',
  }),
  delegateModel: setting({
    env: 'DSPY_DELEGATE_LM_MODEL',
    value: text(),
    editable: 'model',
    defaultText: 'the planner',
    doc: 'model for child RLMs (`sub_rlm`) and `delegate_to_rlm`',
  }),
  delegateApiBase: setting({
    env: 'DSPY_DELEGATE_LM_API_BASE',
    value: text(),
    editable: 'url',
    defaultText: "the planner's",
    doc: "the delegate's base URL",
  }),
  delegateMaxTokens: setting({
    env: 'DSPY_DELEGATE_LM_MAX_TOKENS',
    value: int(1),
    editable: 'positive_int',
    defaultText: "the planner's",
    doc: "the delegate's max output tokens per call",
  }),
  delegateSmallModel: setting({
    env: 'DSPY_DELEGATE_LM_SMALL_MODEL',
    value: text(),
    editable: 'model',
    defaultText: 'the delegate',
    doc: 'model for `llm_query`',
  }),
  delegateSmallApiBase: setting({
    env: 'DSPY_DELEGATE_LM_SMALL_API_BASE',
    value: text(),
    defaultText: "the delegate's",
    doc: "the small delegate's base URL",
  }),
  plannerApiKey: setting({
    env: 'DSPY_LLM_API_KEY',
    aliases: ['DSPY_LM_API_KEY'],
    value: text(),
    secret: true,
    editable: 'secret',
    doc: 'planner API key',
  }),
  delegateApiKey: setting({
    env: 'DSPY_DELEGATE_LM_API_KEY',
    value: text(),
    secret: true,
    defaultText: "the planner's",
    doc: "the delegate's API key",
  }),
  delegateSmallApiKey: setting({
    env: 'DSPY_DELEGATE_LM_SMALL_API_KEY',
    value: text(),
    secret: true,
    defaultText: "the delegate's",
    doc: "the small delegate's API key",
  }),
  timeoutMs: setting({
    env: 'RLM_LM_TIMEOUT',
    value: seconds(),
    default: 60_000,
    doc: 'seconds one model call may take',
  }),
  maxRetries: setting({
    env: 'LM_MAX_RETRIES',
    value: int(0),
    default: 2,
    doc: 'retries with backoff on 408/409/429/5xx and connection errors',
  }),
  prices: setting({
    env: 'FLEET_MODEL_PRICES',
    value: json(z.record(z.string(), modelPrice), '{"openai/x": {"input": 1, "output": 2}}'),
    default: {},
    defaultText: 'built-in table',
    doc: 'JSON `{"provider/model": {"input": usd_per_1M, "output": usd_per_1M}}`',
  }),
});

type LmSettings = z.output<typeof lmSettings>;

export interface LmConfig {
  planner?: ModelConfig;
  delegate?: ModelConfig;
  delegateSmall?: ModelConfig;
  timeoutMs: LmSettings['timeoutMs'];
  maxRetries: LmSettings['maxRetries'];
  prices: LmSettings['prices'];
}

/** The roles as the model client uses them; a role without a model is absent. */
export function modelRoles(lm: LmSettings): LmConfig {
  const planner = role(lm.plannerModel, {
    apiKey: lm.plannerApiKey,
    apiBase: lm.plannerApiBase,
    maxTokens: lm.plannerMaxTokens,
  });
  // A delegate without its own key/base borrows the planner's, as in fleet-rlm (Python).
  const delegate = role(lm.delegateModel, {
    apiKey: lm.delegateApiKey ?? lm.plannerApiKey,
    apiBase: lm.delegateApiBase ?? lm.plannerApiBase,
    maxTokens: lm.delegateMaxTokens ?? lm.plannerMaxTokens,
  });
  const smallBase = delegate ?? planner;
  const delegateSmall = role(lm.delegateSmallModel, {
    apiKey: lm.delegateSmallApiKey ?? smallBase?.apiKey,
    apiBase: lm.delegateSmallApiBase ?? smallBase?.apiBase,
    maxTokens: smallBase?.maxTokens,
  });
  return {
    planner,
    delegate,
    delegateSmall,
    timeoutMs: lm.timeoutMs,
    maxRetries: lm.maxRetries,
    prices: lm.prices,
  };
}

function role(model: string | undefined, rest: Omit<ModelConfig, 'model'>): ModelConfig | undefined {
  if (!model) return undefined;
  const present = Object.entries(rest).filter(([, value]) => value !== undefined && value !== '');
  return { model, ...Object.fromEntries(present) };
}

/**
 * Parses the `provider/model` strings of the configuration (`openai/gpt-4.1-mini`,
 * `anthropic/claude-sonnet-4-5`, `ollama/llama3.1`). Only the first slash separates the
 * provider: model ids served by vLLM or OpenRouter carry their own (`openai/meta-llama/Llama-3-8b`).
 */
import { LmError } from './lm-error.js';

export const PROVIDERS = ['openai', 'anthropic', 'ollama', 'openrouter'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface ModelSpec {
  provider: ProviderName;
  /** The id the provider's API expects, e.g. `gpt-4.1-mini` or `meta-llama/Llama-3-8b`. */
  modelId: string;
}

/**
 * `variable` names where the string came from (e.g. `DSPY_LM_MODEL`): the error message says so
 * and gives the fix as a line to paste (`DSPY_LM_MODEL=openai/gpt-4o`).
 */
export function parseModelSpec(model: string, variable?: string): ModelSpec {
  const source = variable ? ` (from ${variable})` : '';
  const supported = `supported providers: ${PROVIDERS.join(', ')}`;
  const example = (modelId: string) => `${variable ? `${variable}=` : ''}openai/${modelId || 'gpt-4.1-mini'}`;
  const trimmed = model.trim();
  const slash = trimmed.indexOf('/');
  if (slash <= 0) {
    throw new LmError(
      'not_configured',
      `model '${model}'${source} has no provider: write provider/model, e.g. ${example(trimmed.replace(/^\/+/, ''))}; ${supported}`,
    );
  }
  const provider = trimmed.slice(0, slash).toLowerCase();
  const modelId = trimmed.slice(slash + 1);
  if (!isProvider(provider)) {
    // The example only when the variable is known: it is the line to paste.
    const fix = variable ? `; e.g. ${example(modelId)}` : '';
    throw new LmError(
      'not_configured',
      `unknown provider '${provider}' in model '${model}'${source}; ${supported}${fix}`,
    );
  }
  if (modelId === '') {
    throw new LmError('not_configured', `model '${model}'${source} names no model after '${provider}/'`);
  }
  return { provider, modelId };
}

function isProvider(name: string): name is ProviderName {
  return (PROVIDERS as readonly string[]).includes(name);
}

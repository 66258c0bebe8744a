/**
 * Builds an AI SDK language model for one configured role. The provider prefix picks the wire
 * protocol: OpenAI's own endpoint speaks the Responses API, while every self-hosted or proxy
 * server (vLLM, Ollama, LM Studio, llama.cpp, OpenRouter) speaks `/v1/chat/completions`, so
 * `openai/…` with an API base goes through the openai-compatible provider.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { ModelConfig } from '../config/config.js';
import type { ModelRole } from './lm-client.js';
import { LmError, ROLE_ENV } from './lm-error.js';
import { parseModelSpec } from './model-spec.js';

/** The spec-v3 model object (the `ai` package does not re-export the type by this name). */
export type LanguageModelV3 = Extract<LanguageModel, { specificationVersion: 'v3' }>;

export interface ProviderOptions {
  /** Replaces `globalThis.fetch`, e.g. to observe or redirect requests in tests. */
  fetch?: typeof globalThis.fetch;
}

const OLLAMA_DEFAULT_BASE = 'http://localhost:11434/v1';
const OPENROUTER_DEFAULT_BASE = 'https://openrouter.ai/api/v1';

export function createLanguageModel(
  role: ModelRole,
  config: ModelConfig,
  options: ProviderOptions = {},
): LanguageModelV3 {
  const { provider, modelId } = parseModelSpec(config.model, ROLE_ENV[role].model);
  const { fetch } = options;
  switch (provider) {
    case 'openai':
      if (config.apiBase) {
        // No key is required: local servers usually run without one.
        return chatCompletions('openai', config.apiBase, config.apiKey, fetch).chatModel(modelId);
      }
      return createOpenAI({ apiKey: requireKey(role, config), fetch })(modelId);
    case 'anthropic':
      // An API base for Anthropic ends in `/v1`, like the default `https://api.anthropic.com/v1`.
      return createAnthropic({ apiKey: requireKey(role, config), baseURL: config.apiBase, fetch })(modelId);
    case 'ollama':
      return chatCompletions('ollama', config.apiBase ?? OLLAMA_DEFAULT_BASE, config.apiKey, fetch).chatModel(
        modelId,
      );
    case 'openrouter':
      return chatCompletions(
        'openrouter',
        config.apiBase ?? OPENROUTER_DEFAULT_BASE,
        requireKey(role, config),
        fetch,
      ).chatModel(modelId);
  }
}

function chatCompletions(
  name: string,
  baseURL: string,
  apiKey: string | undefined,
  fetch: ProviderOptions['fetch'],
) {
  // includeUsage asks for the final usage chunk when streaming (`stream_options.include_usage`).
  return createOpenAICompatible({ name, baseURL, apiKey, includeUsage: true, fetch });
}

/**
 * A key is checked here rather than left to the SDK, whose fallback reads `OPENAI_API_KEY` /
 * `ANTHROPIC_API_KEY` from the environment behind the configuration's back.
 */
function requireKey(role: ModelRole, config: ModelConfig): string {
  if (config.apiKey) return config.apiKey;
  const variable = ROLE_ENV[role].apiKey;
  // Delegate roles borrow the key of the role they fall back to (see config.ts).
  const fallbacks = role === 'delegate_small' ? [ROLE_ENV.delegate.apiKey, ROLE_ENV.planner.apiKey] : [];
  if (role === 'delegate') fallbacks.push(ROLE_ENV.planner.apiKey);
  const borrowed = fallbacks.length > 0 ? ` (nor ${fallbacks.join(' or ')}, which it falls back to)` : '';
  throw new LmError(
    'not_configured',
    `${variable} is not set${borrowed}: the ${role} model ${config.model} needs an API key`,
    { role, model: config.model },
  );
}

/**
 * The planner model's configuration checks, before any call: a model is set, its
 * `provider/model` string parses, and there is an API key where the provider needs one (the
 * same rule as `lm/providers.ts`: OpenAI's own endpoint, Anthropic and OpenRouter need a key;
 * Ollama and any OpenAI-compatible server behind DSPY_LM_API_BASE do not).
 */
import type { LmConfig } from '../../config/config.js';
import type { PreflightCheck } from '../../contract/runtime-schemas.js';
import { ROLE_ENV } from '../../lm/lm-error.js';
import { type ModelSpec, PROVIDERS, parseModelSpec } from '../../lm/model-spec.js';

export interface LmPreflight {
  checks: PreflightCheck[];
  guidance: string[];
  ok: boolean;
  modelSet: boolean;
  apiKeySet: boolean;
}

const ENV = ROLE_ENV.planner;
const EXAMPLE = 'openai/gpt-4.1-mini';

export function lmPreflight(lm: LmConfig): LmPreflight {
  const planner = lm.planner;
  const model = planner?.model;
  const apiKeySet = Boolean(planner?.apiKey);
  const checks: PreflightCheck[] = [];
  const guidance: string[] = [];

  checks.push({
    name: 'model_set',
    ok: model !== undefined,
    detail: model ? `${ENV.model} is ${model}` : `${ENV.model} is not set`,
  });
  if (!model) {
    guidance.push(
      `Set ${ENV.model}=${EXAMPLE} (provider/model; providers: ${PROVIDERS.join(', ')}) and ${ENV.apiKey}`,
    );
    checks.push({ name: 'model_parses', ok: false, detail: 'no model to check' });
    checks.push({ name: 'api_key_set', ok: apiKeySet, detail: keyDetail(apiKeySet) });
    return { checks, guidance, ok: false, modelSet: false, apiKeySet };
  }

  let spec: ModelSpec | undefined;
  try {
    spec = parseModelSpec(model, ENV.model);
    checks.push({
      name: 'model_parses',
      ok: true,
      detail: `provider ${spec.provider}, model ${spec.modelId}`,
    });
  } catch (error) {
    const message = (error as Error).message;
    checks.push({ name: 'model_parses', ok: false, detail: message });
    guidance.push(`Fix ${ENV.model}: ${message}`);
  }

  const keyNeeded = spec === undefined || needsKey(spec, planner?.apiBase);
  if (apiKeySet || !keyNeeded) {
    const detail = apiKeySet
      ? keyDetail(true)
      : `not needed for ${spec?.provider} at ${planner?.apiBase ?? 'its default URL'}`;
    checks.push({ name: 'api_key_set', ok: true, detail });
  } else {
    checks.push({ name: 'api_key_set', ok: false, detail: keyDetail(false) });
    guidance.push(
      `Set ${ENV.apiKey} to your ${spec?.provider ?? 'provider'} API key (${ENV.model}=${model})` +
        (spec?.provider === 'openai' ? `, or ${ENV.apiBase} for a local OpenAI-compatible server` : ''),
    );
  }
  return { checks, guidance, ok: checks.every((check) => check.ok), modelSet: true, apiKeySet };
}

function needsKey(spec: ModelSpec, apiBase: string | undefined): boolean {
  if (spec.provider === 'ollama') return false;
  if (spec.provider === 'openai') return apiBase === undefined;
  return true;
}

function keyDetail(set: boolean): string {
  return set ? `${ENV.apiKey} is set` : `${ENV.apiKey} is not set`;
}

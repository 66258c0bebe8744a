import { describe, expect, it } from 'vitest';
import { LmError } from '../../src/lm/lm-error.js';
import { PROVIDERS, parseModelSpec } from '../../src/lm/model-spec.js';

describe('parseModelSpec', () => {
  it('splits provider and model id at the first slash', () => {
    expect(parseModelSpec('openai/gpt-4.1-mini')).toEqual({ provider: 'openai', modelId: 'gpt-4.1-mini' });
    expect(parseModelSpec('anthropic/claude-sonnet-4-5')).toEqual({
      provider: 'anthropic',
      modelId: 'claude-sonnet-4-5',
    });
    expect(parseModelSpec('ollama/llama3.1')).toEqual({ provider: 'ollama', modelId: 'llama3.1' });
  });

  it('keeps further slashes in the model id', () => {
    expect(parseModelSpec('openai/meta-llama/Llama-3-8b')).toEqual({
      provider: 'openai',
      modelId: 'meta-llama/Llama-3-8b',
    });
    expect(parseModelSpec('openrouter/anthropic/claude-3.5-haiku')).toEqual({
      provider: 'openrouter',
      modelId: 'anthropic/claude-3.5-haiku',
    });
  });

  it('rejects a model without a provider, suggesting the provider/model form', () => {
    const error = catchError(() => parseModelSpec('gpt-4.1', 'DSPY_LM_MODEL'));
    expect(error.kind).toBe('not_configured');
    expect(error.message).toContain("model 'gpt-4.1' (from DSPY_LM_MODEL) has no provider");
    expect(error.message).toContain('openai/gpt-4.1');
    expect(error.message).toContain(PROVIDERS.join(', '));
  });

  it('rejects an unknown provider and lists the supported ones', () => {
    const error = catchError(() => parseModelSpec('gemini/gemini-2.5-pro'));
    expect(error.message).toBe(
      "unknown provider 'gemini' in model 'gemini/gemini-2.5-pro'; supported providers: openai, anthropic, ollama, openrouter",
    );
  });

  it('rejects an empty model id and a leading slash', () => {
    expect(catchError(() => parseModelSpec('openai/')).message).toContain("names no model after 'openai/'");
    expect(catchError(() => parseModelSpec('/gpt-4.1')).message).toContain('has no provider');
  });
});

function catchError(run: () => unknown): LmError {
  try {
    run();
  } catch (error) {
    if (LmError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an LmError');
}

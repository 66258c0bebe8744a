/**
 * Which endpoint each `provider/model` reaches, and the configuration errors raised before any
 * request is sent. Endpoints that cannot be reached from a test (OpenAI, OpenRouter, a local
 * Ollama) are observed through the `fetch` override.
 */
import { describe, expect, it } from 'vitest';
import type { LmConfig } from '../../src/config/config.js';
import { AiSdkLmClient } from '../../src/lm/ai-sdk-client.js';
import type { LmCallOptions } from '../../src/lm/lm-client.js';
import { createLanguageModel } from '../../src/lm/providers.js';
import { lmErrorOf } from '../support/lm-errors.js';

interface Seen {
  url: string;
  headers: Headers;
}

/** A fetch that records each request and answers with `respond` (a 200 chat completion by default). */
function recordingFetch(respond: () => Response = chatCompletion) {
  const seen: Seen[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    seen.push({ url: String(input), headers: new Headers(init?.headers) });
    return respond();
  };
  return { seen, fetch };
}

function chatCompletion(): Response {
  const body = { choices: [{ message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] };
  return Response.json(body);
}

function config(overrides: Partial<LmConfig>): LmConfig {
  return { timeoutMs: 5_000, maxRetries: 0, prices: {}, ...overrides };
}

const ask = (role: LmCallOptions['role'] = 'planner'): LmCallOptions => ({
  role,
  messages: [{ role: 'user', content: 'hi' }],
});

describe('createLanguageModel', () => {
  it('picks the wire protocol from the provider and the API base', () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['openai/gpt-4.1', undefined, 'openai.responses'],
      ['openai/meta-llama/Llama-3-8b', 'http://127.0.0.1:8000/v1', 'openai.chat'],
      ['anthropic/claude-sonnet-4-5', undefined, 'anthropic.messages'],
      ['ollama/llama3.1', undefined, 'ollama.chat'],
      ['openrouter/openai/gpt-4o', undefined, 'openrouter.chat'],
    ];
    for (const [model, apiBase, provider] of cases) {
      const built = createLanguageModel('planner', { model, apiKey: 'k', apiBase });
      expect([built.provider, built.modelId]).toEqual([provider, model.slice(model.indexOf('/') + 1)]);
    }
  });
});

describe('endpoints', () => {
  it("sends openai/… without a base to OpenAI's Responses API with the bearer key", async () => {
    const { seen, fetch } = recordingFetch(() =>
      Response.json(
        { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } },
        { status: 401 },
      ),
    );
    const client = new AiSdkLmClient(config({ planner: { model: 'openai/gpt-4.1', apiKey: 'sk-real' } }), {
      fetch,
    });
    const error = await lmErrorOf(client.generate(ask()));
    expect(seen.map((request) => request.url)).toEqual(['https://api.openai.com/v1/responses']);
    expect(seen[0]?.headers.get('authorization')).toBe('Bearer sk-real');
    expect(error).toMatchObject({ kind: 'http_error', statusCode: 401 });
    expect(error.message).toContain('Incorrect API key provided');
    expect(error.message).toContain('check the API key in DSPY_LLM_API_KEY');
  });

  it("sends ollama/… to Ollama's default local /v1 without a key", async () => {
    const { seen, fetch } = recordingFetch();
    const client = new AiSdkLmClient(config({ planner: { model: 'ollama/llama3.1' } }), { fetch });
    expect((await client.generate(ask())).text).toBe('ok');
    expect(seen[0]?.url).toBe('http://localhost:11434/v1/chat/completions');
    expect(seen[0]?.headers.has('authorization')).toBe(false);
  });

  it('sends openrouter/… to OpenRouter with the key', async () => {
    const { seen, fetch } = recordingFetch();
    const client = new AiSdkLmClient(
      config({ planner: { model: 'openrouter/x-ai/grok-4', apiKey: 'or-key' } }),
      {
        fetch,
      },
    );
    await client.generate(ask());
    expect(seen[0]?.url).toBe('https://openrouter.ai/api/v1/chat/completions');
    expect(seen[0]?.headers.get('authorization')).toBe('Bearer or-key');
  });

  it('reports a 200 whose body does not parse as bad_response', async () => {
    const { fetch } = recordingFetch(() => new Response('<html>proxy login</html>', { status: 200 }));
    const client = new AiSdkLmClient(config({ planner: { model: 'openai/m', apiBase: 'http://proxy/v1' } }), {
      fetch,
    });
    const error = await lmErrorOf(client.generate(ask()));
    expect(error).toMatchObject({ kind: 'bad_response', statusCode: 200 });
  });
});

describe('configuration errors', () => {
  it('names DSPY_LM_MODEL when no planner is configured', async () => {
    const client = new AiSdkLmClient(config({}));
    expect(client.resolve('planner')).toBeUndefined();
    const error = await lmErrorOf(client.generate(ask()));
    expect(error).toMatchObject({ kind: 'not_configured', role: 'planner' });
    expect(error.message).toMatch(/^DSPY_LM_MODEL is not set/);
  });

  it('says a delegate role falls back to the planner', async () => {
    const error = await lmErrorOf(new AiSdkLmClient(config({})).generate(ask('delegate_small')));
    expect(error.message).toContain('DSPY_DELEGATE_LM_SMALL_MODEL');
    expect(error.message).toContain('DSPY_LM_MODEL');
    expect(error.message).toContain('falls back to the planner');
  });

  it('names the planner key variable, without sending anything', async () => {
    const { seen, fetch } = recordingFetch();
    const client = new AiSdkLmClient(config({ planner: { model: 'openai/gpt-4.1' } }), { fetch });
    const error = await lmErrorOf(client.generate(ask()));
    expect(error.kind).toBe('not_configured');
    expect(error.message).toBe(
      'DSPY_LLM_API_KEY is not set: the planner model openai/gpt-4.1 needs an API key',
    );
    expect(seen).toEqual([]);
  });

  it("names the delegate's key variable and the one it falls back to", async () => {
    const client = new AiSdkLmClient(
      config({
        planner: { model: 'ollama/llama3.1' },
        delegate: { model: 'anthropic/claude-sonnet-4-5', apiBase: 'http://127.0.0.1:1/v1' },
      }),
    );
    const error = await lmErrorOf(client.generate(ask('delegate')));
    expect(error.message).toBe(
      'DSPY_DELEGATE_LM_API_KEY is not set (nor DSPY_LLM_API_KEY, which it falls back to): ' +
        'the delegate model anthropic/claude-sonnet-4-5 needs an API key',
    );
  });

  it('rejects an unknown provider, naming the variable it came from', async () => {
    const client = new AiSdkLmClient(config({ planner: { model: 'gemini/gemini-2.5-pro', apiKey: 'k' } }));
    const error = await lmErrorOf(client.generate(ask()));
    expect(error.kind).toBe('not_configured');
    expect(error.message).toContain('(from DSPY_LM_MODEL)');
    expect(error.message).toContain('supported providers: openai, anthropic, ollama, openrouter');
  });

  it('refuses an empty message list before resolving anything', async () => {
    const client = new AiSdkLmClient(config({}));
    await expect(client.generate({ role: 'planner', messages: [] })).rejects.toThrow(TypeError);
  });
});

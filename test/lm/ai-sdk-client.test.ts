/**
 * AiSdkLmClient over real HTTP: the real AI SDK providers talk to the scripted server, so
 * routing, auth headers, usage, cost, fallbacks and error translation are all exercised end to end.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LmConfig } from '../../src/config/config.js';
import { AiSdkLmClient } from '../../src/lm/ai-sdk-client.js';
import type { LmCallOptions } from '../../src/lm/lm-client.js';
import { ScriptedLmServer } from '../support/scripted-lm-server.js';

let server: ScriptedLmServer;
beforeAll(async () => {
  server = await ScriptedLmServer.start();
});
afterAll(async () => {
  await server.close();
});

function config(overrides: Partial<LmConfig> = {}): LmConfig {
  return { timeoutMs: 10_000, maxRetries: 0, prices: {}, ...overrides };
}

function plannerOnly(model = 'openai/planner-model', overrides: Partial<LmConfig> = {}): LmConfig {
  return config({ planner: { model, apiKey: 'sk-planner', apiBase: server.baseUrl }, ...overrides });
}

const ask = (role: LmCallOptions['role'] = 'planner', extra: Partial<LmCallOptions> = {}): LmCallOptions => ({
  role,
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'What is 2+2?' },
  ],
  ...extra,
});

describe('AiSdkLmClient over an OpenAI-compatible server', () => {
  it('returns text, usage, cost and the model, sending the bearer key', async () => {
    server.script([{ model: 'planner-model', reply: { text: '4', usage: { input: 1200, output: 300 } } }]);
    const client = new AiSdkLmClient(
      plannerOnly('openai/planner-model', { prices: { 'openai/planner-model': { input: 2, output: 8 } } }),
    );
    const response = await client.generate(ask());
    expect(response).toMatchObject({
      text: '4',
      role: 'planner',
      model: 'openai/planner-model',
      finishReason: 'stop',
    });
    expect(response.usage).toEqual({
      inputTokens: 1200,
      outputTokens: 300,
      totalTokens: 1500,
      costUsd: 0.0048,
    });
    expect(response.latencyMs).toBeGreaterThan(0);
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-planner');
    expect(request?.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'What is 2+2?' },
    ]);
  });

  it("sends system messages without the SDK's per-call prompt-injection warning", async () => {
    server.script([{ reply: 'ok' }]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await new AiSdkLmClient(plannerOnly()).generate(ask());
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    expect(server.requests[0]?.messages[0]?.role).toBe('system');
  });

  it('sends max tokens from the call, else from the model config', async () => {
    server.script([{ reply: 'ok' }]);
    const base = plannerOnly();
    const client = new AiSdkLmClient({ ...base, planner: { ...base.planner!, maxTokens: 777 } });
    await client.generate(ask());
    await client.generate(ask('planner', { maxTokens: 55 }));
    expect(server.requests.map((request) => (request.body as { max_tokens?: number }).max_tokens)).toEqual([
      777, 55,
    ]);
  });

  it('falls back to the default usage estimate and a null cost for an unpriced model', async () => {
    server.script([{ reply: 'twelve chars' }]);
    const response = await new AiSdkLmClient(plannerOnly()).generate(ask());
    // Scripted server default: ceil(chars / 4) for prompt and completion.
    const promptChars = 'You are terse.'.length + 'What is 2+2?'.length;
    expect(response.usage).toEqual({
      inputTokens: Math.ceil(promptChars / 4),
      outputTokens: 3,
      totalTokens: Math.ceil(promptChars / 4) + 3,
      costUsd: null,
    });
  });

  it('talks to ollama/… at the given base without a key', async () => {
    server.script([{ model: 'llama3.1', reply: { text: 'hi', finishReason: 'length' } }]);
    const client = new AiSdkLmClient(
      config({ planner: { model: 'ollama/llama3.1', apiBase: server.baseUrl } }),
    );
    const response = await client.generate(ask());
    expect(response).toMatchObject({ text: 'hi', finishReason: 'length', model: 'ollama/llama3.1' });
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('carries a multi-MB prompt intact', async () => {
    const needle = 'the needle is 42';
    const big = `${'x'.repeat(3_000_000)}${needle}${'y'.repeat(3_000_000)}`;
    server.script([{ match: (request) => request.messages.at(-1)?.content === big, reply: 'found' }]);
    const response = await new AiSdkLmClient(plannerOnly()).generate({
      role: 'planner',
      messages: [{ role: 'user', content: big }],
    });
    expect(response.text).toBe('found');
    expect(server.requests[0]?.bodyBytes).toBeGreaterThan(6_000_000);
  });
});

describe('AiSdkLmClient over the Anthropic Messages API', () => {
  it('returns text and usage, sending the key as x-api-key and the system prompt apart', async () => {
    server.script([
      {
        model: 'claude-test',
        reply: { text: 'four', usage: { input: 40, output: 2 }, finishReason: 'length' },
      },
    ]);
    const client = new AiSdkLmClient(
      config({
        planner: {
          model: 'anthropic/claude-test',
          apiKey: 'sk-ant',
          apiBase: server.baseUrl,
          maxTokens: 100,
        },
        prices: { 'claude-test': { input: 1_000, output: 1_000 } },
      }),
    );
    const response = await client.generate(ask());
    expect(response).toMatchObject({ text: 'four', finishReason: 'length', model: 'anthropic/claude-test' });
    expect(response.usage).toEqual({ inputTokens: 40, outputTokens: 2, totalTokens: 42, costUsd: 0.042 });
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe('sk-ant');
    expect(request?.body).toMatchObject({
      max_tokens: 100,
      system: [{ type: 'text', text: 'You are terse.' }],
    });
    expect(request?.messages[0]).toEqual({ role: 'system', content: 'You are terse.' });
  });
});

describe('role fallbacks', () => {
  it('serves delegate_small and delegate from the planner when only the planner is set', async () => {
    server.script([{ model: 'planner-model', reply: 'from planner' }]);
    const client = new AiSdkLmClient(plannerOnly());
    expect(client.resolve('delegate_small')).toEqual({ role: 'planner', model: 'openai/planner-model' });
    const small = await client.generate(ask('delegate_small'));
    const delegate = await client.generate(ask('delegate'));
    expect([small.role, delegate.role]).toEqual(['planner', 'planner']);
    expect(server.requests.map((request) => request.model)).toEqual(['planner-model', 'planner-model']);
    expect(server.unmatched).toEqual([]);
  });

  it('serves delegate_small from the delegate before the planner', async () => {
    server.script([{ reply: 'ok' }]);
    const client = new AiSdkLmClient(
      config({
        planner: { model: 'openai/planner-model', apiBase: server.baseUrl },
        delegate: { model: 'openai/delegate-model', apiBase: server.baseUrl },
      }),
    );
    const response = await client.generate(ask('delegate_small'));
    expect(response.role).toBe('delegate');
    expect(server.requests[0]?.model).toBe('delegate-model');
    expect(client.resolve('planner')).toEqual({ role: 'planner', model: 'openai/planner-model' });
  });
});

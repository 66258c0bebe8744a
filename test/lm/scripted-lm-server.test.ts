/**
 * The scripted LM server that the LM, RLM and agent tests stand on: its streaming answers must
 * satisfy the real AI SDK providers, its rules must apply in order with their use counts, and
 * its timings must show whether calls overlapped.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AiSdkLmClient } from '../../src/lm/ai-sdk-client.js';
import { ScriptedLmServer } from '../support/scripted-lm-server.js';

let server: ScriptedLmServer;
beforeAll(async () => {
  server = await ScriptedLmServer.start();
});
afterAll(async () => {
  await server.close();
});

async function post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

describe('streaming through the real providers', () => {
  it('streams OpenAI chat-completion chunks with a final usage chunk', async () => {
    server.script([{ reply: { text: 'one two three', usage: { input: 7, output: 3 } } }]);
    const provider = createOpenAICompatible({ name: 'openai', baseURL: server.baseUrl, includeUsage: true });
    const result = streamText({ model: provider.chatModel('m'), prompt: 'count' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas).toEqual(['one ', 'two ', 'three']);
    expect(await result.usage).toMatchObject({ inputTokens: 7, outputTokens: 3, totalTokens: 10 });
    expect(await result.finishReason).toBe('stop');
    expect(server.requests[0]?.stream).toBe(true);
    expect(server.requests[0]?.body).toMatchObject({ stream_options: { include_usage: true } });
  });

  it('streams Anthropic message events', async () => {
    server.script([
      { reply: { text: 'alpha beta', usage: { input: 5, output: 2 }, finishReason: 'length' } },
    ]);
    const provider = createAnthropic({ baseURL: server.baseUrl, apiKey: 'k' });
    const result = streamText({ model: provider('claude-test'), prompt: 'go', maxOutputTokens: 10 });
    expect(await result.text).toBe('alpha beta');
    expect(await result.usage).toMatchObject({ inputTokens: 5, outputTokens: 2 });
    expect(await result.finishReason).toBe('length');
  });
});

describe('rules', () => {
  it('answers with the first fitting rule that has uses left, then reports the rest as unmatched', async () => {
    server.script([
      { model: 'a', reply: 'first a', times: 1 },
      {
        match: (request) => request.messages.some((message) => message.content.includes('beta')),
        reply: 'beta',
      },
      { model: 'a', reply: (request) => `a #${request.id}`, times: 1 },
    ]);
    const texts: unknown[] = [];
    for (const [model, content] of [
      ['a', 'x'],
      ['a', 'x'],
      ['b', 'beta'],
      ['a', 'x'],
    ]) {
      const { json } = await post('/chat/completions', { model, messages: [{ role: 'user', content }] });
      texts.push(
        (json as { choices?: Array<{ message: { content: string } }> }).choices?.[0]?.message.content,
      );
    }
    const ids = server.requests.map((request) => request.id);
    expect(texts).toEqual(['first a', `a #${ids[1]}`, 'beta', undefined]);
    expect(server.unmatched.map((request) => request.id)).toEqual([ids[3]]);
  });

  it('flattens content parts to text and puts the Anthropic system prompt first', async () => {
    server.script([{ reply: 'ok' }]);
    await post('/messages', {
      model: 'c',
      system: [{ type: 'text', text: 'be brief' }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hel' },
            { type: 'text', text: 'lo' },
          ],
        },
      ],
    });
    expect(server.requests[0]?.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello' },
    ]);
  });

  it('answers an unknown path with 404 and records it as unmatched', async () => {
    server.script([{ reply: 'ok' }]);
    const { status } = await post('/embeddings', { model: 'e', input: 'x' });
    expect(status).toBe(404);
    expect(server.unmatched.map((request) => request.path)).toEqual(['/v1/embeddings']);
  });

  it('clears recorded requests when scripted again', async () => {
    server.script([{ reply: 'ok' }]);
    await post('/chat/completions', { model: 'm', messages: [] });
    expect(server.requests).toHaveLength(1);
    server.script([]);
    expect(server.requests).toHaveLength(0);
  });
});

describe('timing', () => {
  it('records overlapping calls when the client runs them concurrently', async () => {
    server.script([{ reply: { text: 'slow', delayMs: 200 } }]);
    const client = new AiSdkLmClient({
      planner: { model: 'openai/m', apiBase: server.baseUrl },
      timeoutMs: 5_000,
      maxRetries: 0,
      prices: {},
    });
    const started = performance.now();
    await Promise.all(
      [1, 2, 3].map((n) =>
        client.generate({ role: 'planner', messages: [{ role: 'user', content: `q${n}` }] }),
      ),
    );
    const elapsed = performance.now() - started;
    const [a, b, c] = server.requests;
    // Every call arrived before any was answered: they ran side by side, not one after another.
    const firstAnswer = Math.min(...server.requests.map((request) => request.respondedAt!));
    expect(Math.max(a!.receivedAt, b!.receivedAt, c!.receivedAt)).toBeLessThan(firstAnswer);
    expect(elapsed).toBeLessThan(600);
  });
});

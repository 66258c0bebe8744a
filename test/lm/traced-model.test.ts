/**
 * The LM-call span of `tracedModel`, through the real OpenAI-compatible provider against the
 * scripted server: a finished stream ends its span with the response and usage, and a stream
 * its reader cancels (no abort signal, as when a reader simply stops) still ends its span,
 * marked as an error, and is reported once.
 */
import { context } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AiSdkLmClient } from '../../src/lm/ai-sdk-client.js';
import { withTracer } from '../../src/tracing/active-tracer.js';
import type { LmCallRecord } from '../../src/tracing/observer-registry.js';
import { ScriptedLmServer } from '../support/scripted-lm-server.js';

let server: ScriptedLmServer;
beforeAll(async () => {
  server = await ScriptedLmServer.start();
});
afterAll(async () => {
  await server.close();
});

function tracedSetup() {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const reports: LmCallRecord[] = [];
  const client = new AiSdkLmClient(
    {
      timeoutMs: 10_000,
      maxRetries: 0,
      prices: {},
      planner: { model: 'openai/streamer', apiKey: 'sk-test', apiBase: server.baseUrl },
    },
    { onLmCall: (record) => reports.push(record) },
  );
  const run = <T>(fn: () => T): T =>
    context.with(context.active(), () => withTracer(provider.getTracer('test'), (text) => text, fn));
  return { memory, reports, model: client.chatModel('planner').model, run };
}

describe('tracedModel', () => {
  it('ends a streamed call with its response and usage', async () => {
    server.script([{ model: 'streamer', reply: { text: 'one two three', usage: { input: 7, output: 3 } } }]);
    const { memory, reports, model, run } = tracedSetup();
    const text = await run(async () => {
      const result = streamText({ model, prompt: 'count' });
      return result.text;
    });
    expect(text).toBe('one two three');
    const [span] = memory.getFinishedSpans();
    expect(span?.name).toBe('lm.lm');
    expect(span?.status.code).toBe(1); // OK
    expect(JSON.parse(String(span?.attributes['mlflow.spanOutputs']))).toEqual({ text: 'one two three' });
    expect(span?.attributes['gen_ai.usage.input_tokens']).toBe(7);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      ok: true,
      output: 'one two three',
      usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 },
    });
  });

  it('ends the span of a stream the consumer cancels, as an error, and reports it once', async () => {
    server.script([{ model: 'streamer', reply: { text: 'a b c d e f g h i j k l', chunkDelayMs: 30 } }]);
    const { memory, reports, model, run } = tracedSetup();
    // Straight at the model: streamText reads its model stream to the end on its own.
    await run(async () => {
      const { stream } = await model.doStream({
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'count slowly' }] }],
      });
      const reader = stream.getReader();
      expect((await reader.read()).done).toBe(false);
      await reader.cancel('the reader left');
    });
    // The cancel travels up the pipe asynchronously.
    const deadline = Date.now() + 2000;
    while (memory.getFinishedSpans().length === 0 && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 10));
    }
    const spans = memory.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.status.code).toBe(2); // ERROR
    expect(reports).toHaveLength(1);
    expect(reports[0]?.ok).toBe(false);
  });
});

/**
 * Every LM call passes through this middleware, wherever it comes from (the agent's streamed
 * steps, RLM iterations, `llm_query`, summaries): it opens a CHAT_MODEL span holding the prompt,
 * the response, model, role, tokens and cost, and reports the call to the observer registry
 * (PostHog, metrics). It sits under the AI SDK's retries, so each attempt is its own span.
 *
 * It is also the one place a call is priced: the usage it works out goes to the span, to the
 * observers and to the caller's scope (`LmScope.onUsage`), so nobody prices the call again.
 *
 * Where the span hangs: callers may name a parent explicitly (`withLmScope`), because a
 * streamed multi-step call runs its later steps from stream callbacks whose async context is
 * not the step the agent is on.
 */

import type { Transformer } from 'node:stream/web';
import { type Context, context, createContextKey, type Span, SpanStatusCode } from '@opentelemetry/api';
import type { LanguageModelMiddleware } from 'ai';
import { wrapLanguageModel } from 'ai';
import type { ModelPrice } from '../config/config.js';
import { activeTurnScope, ensureContextManager } from '../tracing/active-tracer.js';
import type { LmCallRecord } from '../tracing/observer-registry.js';
import { markError, setOutputs, setUsage, startSpan } from '../tracing/span-helpers.js';
import { type Usage, ZERO_USAGE } from '../util/usage.js';
import { callUsage } from './pricing.js';
import type { LanguageModelV3 } from './providers.js';

export interface LmScope {
  /** What the call is for (`agent.step`, `rlm.iteration`, `llm_query`, ...). */
  purpose?: string;
  /** Holds the span new LM calls hang under; read at each call, so a caller can move it. */
  parent?: { context: Context };
  /** Receives the usage of each call made in this scope that finished (each retried attempt too). */
  onUsage?(usage: Usage): void;
}

export interface TracedModelInfo {
  role: string;
  /** `provider/model` as configured. */
  model: string;
  /** The price table, read when a call ends (settings may change between calls). */
  prices(): Record<string, ModelPrice>;
  report?: (record: LmCallRecord) => void;
}

const SCOPE_KEY = createContextKey('fleet-rlm lm scope');

export function withLmScope<T>(scope: LmScope, fn: () => T): T {
  ensureContextManager();
  return context.with(context.active().setValue(SCOPE_KEY, scope), fn);
}

type CallParams = Parameters<NonNullable<LanguageModelMiddleware['wrapGenerate']>>[0]['params'];
/** The provider's usage as the AI SDK's V3 spec reports it. */
type ProviderUsage = {
  inputTokens: { total: number | undefined };
  outputTokens: { total: number | undefined };
};

export function tracedModel(model: LanguageModelV3, info: TracedModelInfo): LanguageModelV3 {
  const middleware: LanguageModelMiddleware = {
    specificationVersion: 'v3',
    wrapGenerate: async ({ doGenerate, params }) => {
      const call = new LmCall(info, params);
      try {
        const result = await doGenerate();
        let text = '';
        for (const part of result.content) {
          if (part.type === 'text') text += part.text;
          else if (part.type === 'tool-call') call.toolCalls.push({ name: part.toolName, input: part.input });
        }
        call.finish(text, result.usage, result.finishReason.unified);
        return result;
      } catch (error) {
        call.fail(error);
        throw error;
      }
    },
    wrapStream: async ({ doStream, params }) => {
      const call = new LmCall(info, params);
      let streamed: Awaited<ReturnType<typeof doStream>>;
      try {
        streamed = await doStream();
      } catch (error) {
        call.fail(error);
        throw error;
      }
      let text = '';
      params.abortSignal?.addEventListener('abort', () => call.fail(params.abortSignal?.reason), {
        once: true,
      });
      type Part = typeof streamed.stream extends ReadableStream<infer P> ? P : never;
      // `cancel` (a reader that stops without an abort signal) is in Node 20's TransformStream
      // but not yet in its types.
      const observer: Transformer<Part, Part> & { cancel(reason: unknown): void } = {
        transform(part, controller) {
          if (part.type === 'text-delta') text += part.delta;
          else if (part.type === 'tool-call') call.toolCalls.push({ name: part.toolName, input: part.input });
          else if (part.type === 'finish') call.finish(text, part.usage, part.finishReason.unified);
          else if (part.type === 'error') call.fail(part.error);
          controller.enqueue(part);
        },
        flush() {
          call.finish(text, undefined, 'unknown');
        },
        cancel(reason) {
          call.fail(reason ?? new Error('the stream was cancelled before it finished'));
        },
      };
      const observed = streamed.stream.pipeThrough(new TransformStream(observer));
      return { ...streamed, stream: observed };
    },
  };
  return wrapLanguageModel({ model, middleware });
}

/** One attempt at one LM call: its span and its observer record; ends once. */
class LmCall {
  readonly toolCalls: Array<{ name: string; input: string }> = [];
  private readonly span: Span;
  private readonly started = performance.now();
  private readonly purpose: string;
  private readonly scope: LmScope | undefined;
  private readonly input: Array<{ role: string; content: string }>;
  /** Taken at the start: a span stops recording once it ends, which is before the report. */
  private readonly traced: boolean;
  /** Whose turn this is, read when the call starts (a stream ends in the SDK's callbacks). */
  private readonly turn = activeTurnScope();
  private ended = false;

  constructor(
    private readonly info: TracedModelInfo,
    params: CallParams,
  ) {
    const scope = context.active().getValue(SCOPE_KEY) as LmScope | undefined;
    this.scope = scope;
    this.purpose = scope?.purpose ?? 'lm';
    this.input = promptMessages(params.prompt);
    this.span = startSpan(
      `lm.${this.purpose}`,
      'CHAT_MODEL',
      {
        inputs: { messages: this.input },
        attributes: { 'fleet_rlm.lm_purpose': this.purpose },
      },
      scope?.parent?.context ?? context.active(),
    );
    this.traced = this.span.isRecording();
  }

  finish(text: string, provider: ProviderUsage | undefined, finishReason: string): void {
    if (this.ended) return;
    this.ended = true;
    const usage = callUsage(
      this.info.model,
      { inputTokens: provider?.inputTokens.total, outputTokens: provider?.outputTokens.total },
      this.info.prices(),
    );
    setOutputs(this.span, this.toolCalls.length ? { text, tool_calls: this.toolCalls } : { text });
    setUsage(this.span, usage, { model: this.info.model, role: this.info.role });
    this.span.setAttribute('gen_ai.response.finish_reasons', [finishReason]);
    this.span.setStatus({ code: SpanStatusCode.OK });
    this.span.end();
    this.scope?.onUsage?.(usage);
    this.report({ usage, ok: true, output: text });
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    // A failed attempt is not priced: no tokens came back to count.
    const usage: Usage = { ...ZERO_USAGE, costUsd: null };
    markError(this.span, error);
    setUsage(this.span, usage, this.info);
    this.span.end();
    this.report({
      usage,
      ok: false,
      output: '',
      error: error instanceof Error ? error.message : String(error),
      errorType: error instanceof Error ? error.name : typeof error,
    });
  }

  private report(outcome: Pick<LmCallRecord, 'usage' | 'ok' | 'output' | 'error' | 'errorType'>): void {
    if (!this.info.report) return;
    const spanContext = this.span.spanContext();
    const turn = this.turn;
    this.info.report({
      ...(this.traced ? { traceId: `tr-${spanContext.traceId}`, spanId: spanContext.spanId } : {}),
      ...(turn ?? {}),
      role: this.info.role,
      model: this.info.model,
      provider: this.info.model.split('/')[0] ?? '',
      purpose: this.purpose,
      latencyMs: performance.now() - this.started,
      input: this.input,
      ...outcome,
    });
  }
}

/** The provider-level prompt as plain role/text messages (tool calls and results as JSON). */
function promptMessages(prompt: CallParams['prompt']): Array<{ role: string; content: string }> {
  return prompt.map((message) => {
    if (typeof message.content === 'string') return { role: message.role, content: message.content };
    const pieces = message.content.map((part) => {
      switch (part.type) {
        case 'text':
        case 'reasoning':
          return part.text;
        case 'tool-call':
          return `[tool call ${part.toolName}] ${JSON.stringify(part.input)}`;
        case 'tool-result':
          return `[tool result ${part.toolName}] ${JSON.stringify(part.output)}`;
        default:
          return `[${part.type}]`;
      }
    });
    return { role: message.role, content: pieces.join('\n') };
  });
}

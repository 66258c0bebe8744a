/**
 * Spans the way MLflow reads them: `mlflow.spanType`, `mlflow.spanInputs`/`Outputs` as JSON
 * text, token usage and cost, plus the OTel GenAI keys for other backends. Every value is
 * redacted (API keys, tokens) and truncated before it is attached. `withSpan` keeps the span
 * active across awaits, records errors, and always ends the span; tracing never throws into
 * the product.
 */
import { type Attributes, context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { toWireUsage, type Usage } from '../util/usage.js';
import { activeRedactor, activeTracer } from './active-tracer.js';

export type SpanType =
  | 'AGENT'
  | 'CHAIN'
  | 'LLM'
  | 'CHAT_MODEL'
  | 'TOOL'
  | 'RETRIEVER'
  | 'PARSER'
  | 'MEMORY'
  | 'UNKNOWN';

/** Removes secrets from text: span values are redacted as the JSON text they are sent as. */
export type Redactor = (text: string) => string;

const VALUE_CHARS = 20_000;

export interface SpanOptions {
  inputs?: unknown;
  attributes?: Attributes;
}

/** Runs `fn` inside a new active span; the span ends when `fn` settles. */
export async function withSpan<T>(
  name: string,
  type: SpanType,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const span = startSpan(name, type, options);
  return context.with(trace.setSpan(context.active(), span), async () => {
    try {
      const result = await fn(span);
      // An error status set inside `fn` (a failed step that did not throw) is kept.
      if (!failed(span)) span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (error) {
      markError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span that the caller ends (for spans that do not wrap one function call). */
export function startSpan(
  name: string,
  type: SpanType,
  options: SpanOptions = {},
  parent = context.active(),
): Span {
  const span = activeTracer(parent).startSpan(
    name,
    { attributes: { 'mlflow.spanType': JSON.stringify(type), ...options.attributes } },
    parent,
  );
  if (options.inputs !== undefined) setJson(span, 'mlflow.spanInputs', options.inputs);
  return span;
}

export function setOutputs(span: Span, outputs: unknown): void {
  setJson(span, 'mlflow.spanOutputs', outputs);
}

export function setUsage(span: Span, usage: Usage, model?: { model: string; role?: string }): void {
  // MLflow's token usage has our wire form's token fields; the cost goes in its own attribute.
  const { cost_usd: _cost, ...tokens } = toWireUsage(usage);
  setJson(span, 'mlflow.chat.tokenUsage', tokens);
  span.setAttributes({
    'gen_ai.usage.input_tokens': usage.inputTokens,
    'gen_ai.usage.output_tokens': usage.outputTokens,
  });
  if (usage.costUsd !== null) {
    setJson(span, 'mlflow.llm.cost', { input_cost: 0, output_cost: 0, total_cost: usage.costUsd });
  }
  if (model) {
    const [provider, ...rest] = model.model.split('/');
    span.setAttributes({
      'mlflow.llm.model': rest.join('/') || model.model,
      'mlflow.llm.provider': provider ?? '',
      'gen_ai.request.model': rest.join('/') || model.model,
      'gen_ai.system': provider ?? '',
      ...(model.role ? { 'fleet_rlm.model_role': model.role } : {}),
    });
  }
}

export function markError(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const redacted = activeRedactor()(message);
  span.setStatus({ code: SpanStatusCode.ERROR, message: redacted });
  errored.add(span);
  span.addEvent('exception', {
    'exception.type': error instanceof Error ? error.name : typeof error,
    'exception.message': redacted,
  });
}

/**
 * MLflow keeps attribute values as JSON text. The text is bounded first and redacted as text
 * (one pass over at most VALUE_CHARS, rather than a deep copy of a possibly huge value).
 */
export function setJson(span: Span, key: string, value: unknown): void {
  // With tracing off every span is the no-op one: skip the serializing, not just the storing.
  if (!span.isRecording()) return;
  try {
    let json = JSON.stringify(value ?? null);
    if (json.length > VALUE_CHARS) json = JSON.stringify(`${json.slice(0, VALUE_CHARS)}… [truncated]`);
    span.setAttribute(key, activeRedactor()(json));
  } catch {
    // An unserializable value is left out; tracing never fails the traced work.
  }
}

/** MLflow's trace id for an OpenTelemetry one. */
export function mlflowTraceId(span: Span): string {
  return `tr-${span.spanContext().traceId}`;
}

const errored = new WeakSet<Span>();

function failed(span: Span): boolean {
  return errored.has(span);
}

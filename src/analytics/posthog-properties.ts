/**
 * The PostHog event payloads built from the observer registry's records: `$ai_generation` (the
 * property names of PostHog LLM analytics, https://posthog.com/docs/llm-analytics/manual-capture)
 * and the fleet's own turn events. Pure functions: every text is redacted, then truncated, here,
 * so nothing downstream sees a raw prompt.
 */
import { randomUUID } from 'node:crypto';
import type { LmCallRecord, TurnRecord } from '../tracing/observer-registry.js';
import { redactText, truncate } from '../tracing/redaction.js';

export interface PayloadLimits {
  /** Exact secret values to remove (configured keys). */
  secrets: readonly string[];
  /** Characters of prompt kept across all messages (POSTHOG_INPUT_TRUNCATION). */
  inputTruncation: number;
  /** Characters of response kept (POSTHOG_OUTPUT_TRUNCATION). */
  outputTruncation: number;
}

const ERROR_CHARS = 2000;

export function aiGenerationProperties(record: LmCallRecord, limits: PayloadLimits): Record<string, unknown> {
  const redact = (text: string) => redactText(text, limits.secrets);
  const properties: Record<string, unknown> = {
    // PostHog groups generations by trace; a call outside a traced turn is a trace of its own.
    $ai_trace_id: record.traceId ?? randomUUID(),
    $ai_model: modelId(record.model, record.provider),
    $ai_provider: record.provider,
    $ai_latency: record.latencyMs / 1000,
    $ai_input: truncateMessages(
      record.input.map((message) => ({ role: message.role, content: redact(message.content) })),
      limits.inputTruncation,
    ),
    $ai_output_choices: [
      { role: 'assistant', content: truncate(redact(record.output), limits.outputTruncation) },
    ],
    $ai_input_tokens: record.usage.inputTokens,
    $ai_output_tokens: record.usage.outputTokens,
    $ai_total_tokens: record.usage.totalTokens,
    $ai_success: record.ok,
    $ai_is_error: !record.ok,
    fleet_role: record.role,
    fleet_purpose: record.purpose,
  };
  if (record.spanId) properties.$ai_span_id = record.spanId;
  if (record.sessionId) properties.$ai_session_id = record.sessionId;
  if (record.workspaceId) properties.fleet_workspace_id = record.workspaceId;
  if (record.usage.costUsd !== null) properties.$ai_total_cost_usd = record.usage.costUsd;
  if (!record.ok) {
    properties.$ai_error = truncate(redact(record.error ?? 'the call failed'), ERROR_CHARS);
    properties.$ai_error_type = record.errorType ?? 'error';
  }
  return properties;
}

export function turnStartedProperties(record: TurnRecord): Record<string, unknown> {
  return {
    turn_id: record.turnId,
    session_id: record.sessionId,
    workspace_id: record.workspaceId,
    execution_mode: record.executionMode,
    ...(record.traceId ? { $ai_trace_id: record.traceId } : {}),
  };
}

export function turnFinishedProperties(
  record: TurnRecord,
  secrets: readonly string[],
): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    ...turnStartedProperties(record),
    status: record.status ?? 'unknown',
  };
  if (record.durationMs !== undefined) properties.duration_ms = record.durationMs;
  if (record.usage) {
    properties.input_tokens = record.usage.inputTokens;
    properties.output_tokens = record.usage.outputTokens;
    properties.cost_usd = record.usage.costUsd ?? 0;
  }
  if (record.error) properties.error = truncate(redactText(record.error, secrets), ERROR_CHARS);
  return properties;
}

/**
 * Messages cut to `budget` characters in total. Each message gets an equal share; what short
 * messages leave unused goes to the longer ones, so a long system prompt cannot crowd out the
 * user's question, and nothing is cut when the whole prompt fits.
 */
export function truncateMessages(
  messages: ReadonlyArray<{ role: string; content: string }>,
  budget: number,
): Array<{ role: string; content: string }> {
  const total = messages.reduce((sum, message) => sum + message.content.length, 0);
  if (total <= budget) return messages.map((message) => ({ ...message }));
  const shares = new Array<number>(messages.length).fill(0);
  let remaining = budget;
  let open = messages.map((_message, index) => index);
  while (open.length > 0 && remaining > 0) {
    const share = Math.floor(remaining / open.length);
    if (share === 0) break;
    const stillOpen: number[] = [];
    for (const index of open) {
      const given = shares[index] ?? 0;
      const want = (messages[index]?.content.length ?? 0) - given;
      const take = Math.min(want, share);
      shares[index] = given + take;
      remaining -= take;
      if (want > take) stillOpen.push(index);
    }
    open = stillOpen;
  }
  return messages.map((message, index) => ({
    role: message.role,
    content: truncate(message.content, shares[index] ?? 0),
  }));
}

/** `openai/gpt-4.1-mini` → `gpt-4.1-mini`: PostHog shows the provider in its own column. */
function modelId(model: string, provider: string): string {
  return model.startsWith(`${provider}/`) ? model.slice(provider.length + 1) : model;
}

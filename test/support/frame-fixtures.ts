/**
 * Chat events built by hand for tests that need no server (the CLI renderer, the client's
 * bookkeeping, the event pipeline). Each is parsed with the contract's own schema, so a fixture
 * is always a frame the server could have sent.
 */
import {
  type ChatEventOf,
  chatEvent,
  EVENT_VERSION,
  type EventKind,
  type PayloadInput,
  type PayloadOf,
  type RuntimeContext,
} from '../../src/contract/chat-events.js';

export const TEST_RUNTIME: RuntimeContext = {
  depth: 0,
  max_depth: 2,
  execution_profile: 'ROOT_INTERLOCUTOR',
  sandbox_active: false,
  effective_max_iters: 8,
  execution_mode: 'auto',
  runtime_mode: 'fleet-rlm-ts',
  sandbox_provider: 'process',
};

/** A `status` payload for frames whose content does not matter. */
export const PROGRESS: PayloadOf<'status'> = { phase: 'progress', runtime: TEST_RUNTIME };

/** A whole chat event; `runtime` defaults to TEST_RUNTIME. */
export function chatEventFixture<K extends EventKind>(
  kind: K,
  text: string,
  payload: PayloadInput<K> & { runtime?: RuntimeContext },
  fields: { seq: number; session_id?: string; turn_id?: string | null; event_id?: string },
): ChatEventOf<K> {
  return chatEvent.parse({
    kind,
    text,
    payload: { runtime: TEST_RUNTIME, ...payload },
    timestamp: new Date(0).toISOString(),
    version: EVENT_VERSION,
    event_id: fields.event_id ?? `e${fields.seq}`,
    seq: fields.seq,
    session_id: fields.session_id ?? 's',
    turn_id: fields.turn_id === undefined ? 't' : fields.turn_id,
  }) as ChatEventOf<K>;
}

/** The payload of a `final` frame for `text` (no usage, no trace). */
export function finalPayload(text: string): PayloadInput<'final'> {
  return {
    usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0, cost_usd: 0 },
    cost_usd: 0,
    turn_index: 1,
    iterations: 1,
    delegations: 0,
    trace_id: null,
    mlflow_trace_id: null,
    duration_ms: 1,
    final_artifact: {
      kind: 'assistant_response',
      value: { text, final_markdown: text },
      finalization_mode: 'RETURN',
    },
  };
}

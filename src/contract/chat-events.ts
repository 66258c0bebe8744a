/**
 * The chat events of `/api/v1/ws/execution`, as zod schemas: one payload schema per `kind`, and
 * `chatEvent`, the union of them all discriminated by `kind`. Types come from the schemas
 * (`PayloadOf<K>`, `ChatEventOf<K>`), so the emitter, the CLI renderer and the client agree on
 * every field. Adding a kind means one entry in `CHAT_EVENTS` (and one emit where it happens).
 *
 * The payloads are a superset of the original fleet-rlm Workbench's: where its shape is as good it
 * is the shape (live sandbox output is a `status` with `phase: "sandbox_output"`); where ours says
 * more, its field names sit beside ours (`tool_input`/`tool_args` beside `arguments`,
 * `tool_output` beside `output`, `step_data` beside `reasoning`/`code`, `mlflow_trace_id` beside
 * `trace_id`), and every payload carries the `runtime` object its context panel reads.
 */
import { z } from 'zod';
import { EXECUTION_MODES } from './client-frames.js';
import { errorCode } from './error-codes.js';
import { usageSchema } from './usage-schema.js';

export const EVENT_VERSION = 2;

/** Where a frame comes from, as the original's `payload.runtime` says it. */
export const runtimeContext = z.object({
  /** 0 for the chat agent and a root RLM, 1+ for child RLMs. */
  depth: z.number().int().nonnegative(),
  max_depth: z.number().int().nonnegative(),
  /** The original's labels: the chat agent, a delegated (root) RLM, a child RLM. */
  execution_profile: z.enum(['ROOT_INTERLOCUTOR', 'RLM_ROOT', 'RLM_DELEGATE']),
  /** The turn holds a sandbox lease. */
  sandbox_active: z.boolean(),
  /** The iteration budget of whoever produced the frame (agent steps, or RLM iterations). */
  effective_max_iters: z.number().int().positive(),
  execution_mode: z.enum(EXECUTION_MODES),
  runtime_mode: z.literal('fleet-rlm-ts'),
  /** `pyodide`, `process` or `daytona`. */
  sandbox_provider: z.string(),
});
export type RuntimeContext = z.infer<typeof runtimeContext>;

const iteration = z.number().int().nonnegative();
const durationMs = z.number().int().nonnegative();

const turnStarted = z.object({
  phase: z.literal('started'),
  turn_index: z.number().int().positive(),
  execution_mode: z.enum(EXECUTION_MODES),
  client_message_id: z.string().nullable(),
  runtime: runtimeContext,
});

/** Live output of sandbox code: `run_python`'s (no `run_id`) or an RLM code block's. */
const sandboxOutput = z.object({
  phase: z.literal('sandbox_output'),
  /** The same text as the frame's `text`, where the original reads it. */
  stream_text: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  /** The agent's tool call the output belongs to (for an RLM: the call that delegated). */
  call_id: z.string(),
  run_id: z.string().optional(),
  depth: z.number().int().nonnegative().optional(),
  iteration: iteration.optional(),
  /** Set on the one frame that says the turn's live-output budget is used up. */
  notice: z.literal('turn_output_limit').optional(),
  runtime: runtimeContext,
});

const progress = z.object({ phase: z.enum(['progress', 'rlm_only']), runtime: runtimeContext });

/** The turn waits: every sandbox slot (SANDBOX_MAX_LIVE) is taken. */
const queued = z.object({
  phase: z.literal('queued'),
  waiting_for: z.literal('sandbox'),
  /** Place in line when the frame was sent; 1 = the next slot that frees. */
  position: z.number().int().positive(),
  /** Slots taken (leased, or starting for callers ahead). */
  in_use: z.number().int().nonnegative(),
  /** SANDBOX_MAX_LIVE. */
  cap: z.number().int().positive(),
  runtime: runtimeContext,
});

/** The wait announced by `queued` is over: the turn holds a sandbox now. */
const sandboxAcquired = z.object({
  phase: z.literal('sandbox_acquired'),
  waited_ms: durationMs,
  runtime: runtimeContext,
});

export const statusPayload = z.discriminatedUnion('phase', [
  turnStarted,
  sandboxOutput,
  progress,
  queued,
  sandboxAcquired,
]);

/** The answer as the original's `final_artifact` (and `execution_completed`'s summary) give it. */
export const finalArtifact = z.object({
  kind: z.literal('assistant_response'),
  value: z.object({ text: z.string(), final_markdown: z.string() }),
  finalization_mode: z.literal('RETURN'),
});

const turnEnd = {
  /** The turn's trace id as MLflow shows it; null when tracing is off. */
  trace_id: z.string().nullable(),
  duration_ms: durationMs,
  runtime: runtimeContext,
};

/** One entry per kind: its payload and what it means (the meta-test reads both). */
export const CHAT_EVENTS = {
  status: {
    description: 'turn progress; `phase: "sandbox_output"` carries live output of sandbox code',
    payload: statusPayload,
  },
  assistant_token: {
    description: 'a piece of the answer as it streams',
    payload: z.object({ iteration, runtime: runtimeContext }),
  },
  reasoning_step: {
    description: 'the streamed text of a step that went on to call tools was a thought',
    payload: z.object({ iteration, tools: z.array(z.string()), runtime: runtimeContext }),
  },
  tool_call: {
    description: 'the agent calls a tool (paired with its tool_result by call_id)',
    payload: z.object({
      call_id: z.string(),
      tool_name: z.string(),
      arguments: z.unknown(),
      tool_input: z.unknown(),
      tool_args: z.unknown(),
      iteration,
      /** The tool call's execution step on `/ws/execution/events`. */
      step_id: z.string(),
      runtime: runtimeContext,
    }),
  },
  tool_result: {
    description: "a tool call's outcome",
    payload: z.object({
      call_id: z.string(),
      tool_name: z.string(),
      ok: z.boolean(),
      output: z.string(),
      tool_output: z.string(),
      duration_ms: durationMs,
      iteration,
      runtime: runtimeContext,
    }),
  },
  rlm_executing: {
    description: 'an RLM run starts (a delegation, or a child run from sub_rlm)',
    payload: z.object({
      call_id: z.string(),
      /** What started it: the agent's tool (`delegate_to_rlm`, …, `rlm_only`) or `sub_rlm`/`sub_rlm_batched`. */
      tool_name: z.string(),
      run_id: z.string(),
      parent_run_id: z.string().nullable(),
      depth: z.number().int().nonnegative(),
      model: z.string(),
      question: z.string(),
      runtime: runtimeContext,
    }),
  },
  trajectory_step: {
    description: 'an RLM iteration finished: its reasoning, code and output',
    payload: z.object({
      call_id: z.string(),
      run_id: z.string(),
      depth: z.number().int().nonnegative(),
      iteration,
      reasoning: z.string(),
      code: z.array(z.string()),
      output: z.array(z.string()),
      errors: z.array(z.string()),
      submitted: z.boolean(),
      llm_calls_used: z.number().int().nonnegative(),
      max_llm_calls: z.number().int().nonnegative(),
      duration_ms: durationMs,
      /** The original's names: 0-based index, and the step as thought / action / observation. */
      step_index: z.number().int().nonnegative(),
      step_data: z.object({
        index: z.number().int().nonnegative(),
        thought: z.string(),
        action: z.string(),
        tool_name: z.string(),
        tool_input: z.string(),
        observation: z.string(),
      }),
      runtime: runtimeContext,
    }),
  },
  memory_update: {
    description: 'the agent edited a core-memory section',
    payload: z.object({
      section: z.string(),
      mode: z.string(),
      content: z.string(),
      runtime: runtimeContext,
    }),
  },
  final: {
    description: 'the turn answered (terminal)',
    payload: z.object({
      usage: usageSchema,
      cost_usd: z.number(),
      turn_index: z.number().int().positive(),
      iterations: z.number().int().nonnegative(),
      delegations: z.number().int().nonnegative(),
      mlflow_trace_id: z.string().nullable(),
      final_artifact: finalArtifact,
      ...turnEnd,
    }),
  },
  cancelled: {
    description: 'the turn was cancelled (terminal)',
    payload: z.object({ reason: z.string(), ...turnEnd }),
  },
  error: {
    description: 'the turn failed (terminal)',
    payload: z.object({ code: errorCode, ...turnEnd }),
  },
} as const;

export type EventKind = keyof typeof CHAT_EVENTS;
export const EVENT_KINDS = Object.keys(CHAT_EVENTS) as EventKind[];
export type PayloadOf<K extends EventKind> = z.infer<(typeof CHAT_EVENTS)[K]['payload']>;
/** A payload without its `runtime` context, which the turn adds to every frame (kept per union member). */
export type PayloadInput<K extends EventKind> =
  PayloadOf<K> extends infer P ? (P extends unknown ? Omit<P, 'runtime'> : never) : never;

/** Kinds that end a turn: exactly one of them closes every turn's stream. */
export const TERMINAL_KINDS = ['final', 'cancelled', 'error'] as const satisfies readonly EventKind[];
export type TerminalKind = (typeof TERMINAL_KINDS)[number];

function eventOf<K extends EventKind>(kind: K) {
  return z.object({
    kind: z.literal(kind),
    text: z.string(),
    payload: CHAT_EVENTS[kind].payload as (typeof CHAT_EVENTS)[K]['payload'],
    /** ISO 8601. */
    timestamp: z.string(),
    version: z.literal(EVENT_VERSION),
    event_id: z.string(),
    /** Per session, starting at 1, gap-free. */
    seq: z.number().int().positive(),
    session_id: z.string(),
    turn_id: z.string().nullable(),
  });
}

export const chatEvent = z.discriminatedUnion('kind', [
  eventOf('status'),
  eventOf('assistant_token'),
  eventOf('reasoning_step'),
  eventOf('tool_call'),
  eventOf('tool_result'),
  eventOf('rlm_executing'),
  eventOf('trajectory_step'),
  eventOf('memory_update'),
  eventOf('final'),
  eventOf('cancelled'),
  eventOf('error'),
]);
export type ChatEvent = z.infer<typeof chatEvent>;
export type ChatEventOf<K extends EventKind> = Extract<ChatEvent, { kind: K }>;

export function isEventOf<K extends EventKind>(event: ChatEvent, kind: K): event is ChatEventOf<K> {
  return event.kind === kind;
}

export function isTerminal(event: ChatEvent): event is ChatEventOf<TerminalKind> {
  return (TERMINAL_KINDS as readonly EventKind[]).includes(event.kind);
}

/** The events of one kind, typed. */
export function eventsOf<K extends EventKind>(events: readonly ChatEvent[], kind: K): ChatEventOf<K>[] {
  return events.filter((event): event is ChatEventOf<K> => isEventOf(event, kind));
}

// ----------------------------------------------------------------------------- server envelopes

export const eventEnvelope = z.object({ type: z.literal('event'), data: chatEvent });
export const commandResultEnvelope = z.object({
  type: z.literal('command_result'),
  command: z.string(),
  result: z.unknown(),
  session_id: z.string().optional(),
});
export const errorEnvelope = z.object({
  type: z.literal('error'),
  code: errorCode,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export const serverEnvelope = z.discriminatedUnion('type', [
  eventEnvelope,
  commandResultEnvelope,
  errorEnvelope,
]);

export type EventEnvelope = z.infer<typeof eventEnvelope>;
export type CommandResultEnvelope = z.infer<typeof commandResultEnvelope>;
export type ErrorEnvelope = z.infer<typeof errorEnvelope>;
export type ServerEnvelope = z.infer<typeof serverEnvelope>;

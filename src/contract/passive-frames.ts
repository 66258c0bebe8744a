/**
 * The read-only frames of `/api/v1/ws/execution/events`, as zod schemas: `execution_started`,
 * `execution_step` (one node of the turn's step tree, linked by `parent_id`) and
 * `execution_completed`, one union discriminated by `type`. Every frame has its own `event_id`
 * (the original Workbench keys its React lists by it) beside the stream's gap-free `seq`.
 */
import { z } from 'zod';
import { finalArtifact } from './chat-events.js';
import { usageSchema } from './usage-schema.js';

export const STEP_TYPES = ['llm', 'tool', 'repl', 'memory', 'output'] as const;
export type StepType = (typeof STEP_TYPES)[number];

/** `agent` (the chat agent), `root_rlm` (a delegated RLM), `sub_agent` (a child RLM), `sandbox`. */
export const ACTOR_KINDS = ['agent', 'root_rlm', 'sub_agent', 'sandbox'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export const executionStep = z.object({
  id: z.string(),
  parent_id: z.string().nullable(),
  type: z.enum(STEP_TYPES),
  label: z.string(),
  depth: z.number().int().nonnegative(),
  actor_kind: z.enum(ACTOR_KINDS),
  actor_id: z.string(),
  lane_key: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  /** ISO 8601. */
  timestamp: z.string(),
});
export type ExecutionStep = z.infer<typeof executionStep>;

const frameFields = {
  seq: z.number().int().positive(),
  event_id: z.string(),
  /** The turn id. */
  run_id: z.string(),
  workspace_id: z.string(),
  user_id: z.string(),
  session_id: z.string(),
};

export const executionStarted = z.object({
  type: z.literal('execution_started'),
  step: z.null(),
  summary: z.object({ turn_id: z.string(), turn_index: z.number().int().positive(), task: z.string() }),
  ...frameFields,
});

export const executionStepFrame = z.object({
  type: z.literal('execution_step'),
  step: executionStep,
  summary: z.null(),
  ...frameFields,
});

export const executionCompleted = z.object({
  type: z.literal('execution_completed'),
  step: z.null(),
  summary: z.object({
    run_id: z.string(),
    status: z.enum(['completed', 'cancelled', 'error']),
    duration_ms: z.number().int().nonnegative(),
    usage: usageSchema,
    final_artifact: finalArtifact.nullable(),
  }),
  ...frameFields,
});

export const passiveFrame = z.discriminatedUnion('type', [
  executionStarted,
  executionStepFrame,
  executionCompleted,
]);
export type PassiveFrame = z.infer<typeof passiveFrame>;
export type PassiveType = PassiveFrame['type'];
export type PassiveFrameOf<T extends PassiveType> = Extract<PassiveFrame, { type: T }>;
/** What a producer gives; the emitter adds the stream and identity fields. */
export type PassiveFrameInput<T extends PassiveType> = Omit<
  PassiveFrameOf<T>,
  'seq' | 'event_id' | 'workspace_id' | 'user_id' | 'session_id'
>;

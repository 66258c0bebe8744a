/**
 * The RLM engine's public shapes: budgets, termination reasons, the result, the trajectory and
 * the live events. Everything the CLI, the agent and the event pipeline read comes from here.
 */
import type { z } from 'zod';
import type { RlmConfig } from '../config/config.js';
import type { LmClient, ModelRole } from '../lm/lm-client.js';
import type { Sandbox, VariableValue } from '../sandbox/sandbox.js';
import type { Usage } from '../util/usage.js';

/** The budgets of one run tree: the configured RLM limits plus the per-call LM timeout. */
export interface RlmBudgets extends RlmConfig {
  lmTimeoutMs: number;
}

export const DEFAULT_BUDGETS: RlmBudgets = {
  maxIterations: 30,
  maxLlmCalls: 50,
  maxDepth: 2,
  maxOutputChars: 10_000,
  lmTimeoutMs: 60_000,
  batchConcurrency: 8,
  subRlmConcurrency: 4,
  executeTimeoutMs: 120_000,
};

export const TERMINATION_REASONS = [
  'submitted',
  'max_iterations',
  'max_llm_calls',
  'max_tokens',
  'max_cost',
  'timeout',
  'cancelled',
  'lm_error',
  'sandbox_error',
] as const;
export type TerminationReason = (typeof TERMINATION_REASONS)[number];

export interface Termination {
  reason: TerminationReason;
  detail: string;
  limit?: number;
  used?: number;
}

/** Something that can lend extra sandboxes (for `sub_rlm_batched`), e.g. the SandboxPool. */
export interface SandboxSource {
  tryAcquire(): Promise<Sandbox> | undefined;
  /** Done with a lent sandbox: it is destroyed, never lent again. */
  destroy(sandbox: Sandbox): Promise<void>;
}

/** A host function exposed in the REPL under `name(params...)`. */
export interface HostTool {
  name: string;
  params: string[];
  doc?: string;
  run(args: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
}

export interface RlmRunOptions {
  /** Input variables: `question` is shown to the model in full, every other one as metadata. */
  inputs: { question: string; context?: VariableValue } & Record<string, VariableValue>;
  /** Output fields for SUBMIT; defaults to `{ answer: string }`. */
  outputSchema?: z.ZodObject;
  role: ModelRole;
  lm: LmClient;
  sandbox: Sandbox;
  pool?: SandboxSource;
  budgets?: Partial<RlmBudgets>;
  tools?: HostTool[];
  signal?: AbortSignal;
  onEvent?: (event: RlmEvent) => void;
  /** Namespace for the root run inside the sandbox (children nest under it). */
  contextName?: string;
}

export interface CallbackRecord {
  callId: string;
  name: string;
  args: string;
  startedAt: string;
  durationMs: number;
  ok: boolean;
  error?: string;
  result?: string;
  /** `sub_rlm` past `max_depth` ran as a plain `llm_query`. */
  degraded?: 'max_depth';
  items?: Array<{ ok: boolean; durationMs: number; error?: string }>;
  children?: Trajectory[];
}

export interface BlockRecord {
  code: string;
  stdout: string;
  stderr: string;
  error?: { type: string; message: string; traceback: string };
  final?: Record<string, unknown>;
  interrupted?: 'timeout' | 'cancelled';
  stateLost?: boolean;
  durationMs: number;
  callbacks: CallbackRecord[];
}

export interface IterationRecord {
  iteration: number;
  startedAt: string;
  durationMs: number;
  reasoning: string;
  response: string;
  lm: { model: string; role: ModelRole; latencyMs: number; usage: Usage };
  blocks: BlockRecord[];
  submit?: { payload: Record<string, unknown>; valid: boolean; errors?: string[] };
  /** What went back to the model as the next message. */
  feedback: string;
}

export interface Trajectory {
  runId: string;
  parentRunId?: string;
  depth: number;
  role: ModelRole;
  model: string;
  question: string;
  iterations: IterationRecord[];
  extract?: { reason: TerminationReason; text: string; ok: boolean; error?: string };
  termination?: Termination;
}

export interface RlmResult {
  runId: string;
  /** The `answer` output (or the outputs as JSON when there is no `answer` field). */
  answer: string;
  outputs: Record<string, unknown>;
  /** `completed` only when a valid SUBMIT ended the run. */
  status: 'completed' | 'partial';
  termination: Termination;
  /** LM usage of this run and everything under it. */
  usage: Usage;
  /** Sub-LM calls charged to the shared budget by the whole tree so far. */
  llmCallsUsed: number;
  iterations: number;
  depth: number;
  durationMs: number;
  trajectory: Trajectory;
}

interface RunRef {
  runId: string;
  depth: number;
}

/** Which code block of a run: its iteration and its 1-based place in the reply. */
export interface BlockPosition {
  iteration: number;
  block: number;
}

/**
 * Live events: a run's start and end, each iteration's and code block's start and end, every
 * host callback and model call. Each says where it happened (run, iteration, block, the
 * callback that made it), so a consumer can place it in the run tree without bookkeeping; the
 * start of anything comes before the events of what happens inside it.
 */
export type RlmEvent =
  | (RunRef & {
      type: 'run_started';
      parentRunId?: string;
      /** For a child run: the callback (`sub_rlm`, `sub_rlm_batched`) that started it. */
      parentCall?: { callId: string; name: string };
      role: ModelRole;
      model: string;
      question: string;
    })
  | (RunRef & { type: 'iteration_started'; iteration: number; maxIterations: number })
  | (RunRef & {
      type: 'lm_call';
      purpose: string;
      model: string;
      role: ModelRole;
      latencyMs: number;
      usage: Usage;
      /** Sub-model calls charged by the whole tree so far. */
      llmCallsUsed: number;
      /** The host callback (`llm_query`, …) that made the call, if one did. */
      callId?: string;
    })
  | (RunRef & BlockPosition & { type: 'block_started'; code: string })
  | (RunRef &
      BlockPosition & {
        type: 'block_finished';
        record: BlockRecord;
        /** The sandbox itself failed (the block has no result). */
        sandboxFailure?: string;
      })
  | (RunRef & { type: 'code_output'; iteration: number; stream: 'stdout' | 'stderr'; text: string })
  | (RunRef & BlockPosition & { type: 'callback_started'; callId: string; name: string; args: string })
  | (RunRef & { type: 'callback_finished'; record: CallbackRecord })
  | (RunRef & {
      type: 'iteration_finished';
      record: IterationRecord;
      llmCallsUsed: number;
      maxLlmCalls: number;
    })
  | (RunRef & {
      type: 'run_finished';
      termination: Termination;
      answer: string;
      usage: Usage;
      durationMs: number;
    });

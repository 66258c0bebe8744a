/**
 * What the chat agent reports while it answers a turn, in its own words. The turn runner turns
 * these into chat frames and execution steps; the agent knows nothing about sockets, sequence
 * numbers or step ids, and the turn layer knows nothing about RLM internals (`rlm-relay.ts`
 * translates what an RLM reports into this vocabulary).
 *
 * Events that open a node of the turn's execution tree name it (`node`) and its parent
 * (`parent`), as spans do; events that close one name the node they close. Node keys are
 * unique within a turn and built with the helpers below, so whoever reports a node knows its
 * place without asking anyone.
 */
import type { Usage } from '../util/usage.js';

/** The root of every turn's tree. */
export const TURN_NODE = 'turn';

export function agentStepNode(iteration: number): string {
  return `agent/${iteration}`;
}

export function toolCallNode(callId: string): string {
  return `tool/${callId}`;
}

/** Who did the work: the chat agent, a root RLM run, a child RLM run, or sandbox code. */
export interface Actor {
  kind: 'agent' | 'root_rlm' | 'sub_agent' | 'sandbox';
  /** Unique within the turn (RLM run ids repeat across delegations, so these are node keys). */
  id: string;
}

/** Places an RLM event in the turn: the agent tool call that started the run tree, the run. */
interface RlmPlace {
  /** The agent's tool call that delegated (`rlm_only` for that mode). */
  callId: string;
  runId: string;
  depth: number;
  actor: Actor;
}

export type AgentEvent =
  | { type: 'status'; text: string; phase: 'progress' | 'rlm_only' }
  /**
   * Every sandbox slot is taken (SANDBOX_MAX_LIVE): the turn waits for one to free, `position`
   * in line (1 = next).
   */
  | { type: 'sandbox_queued'; position: number; inUse: number; cap: number }
  /**
   * The turn now holds a sandbox (frames say `sandbox_active`); `waitedMs` when it was queued
   * first, so the wait's end is announced too.
   */
  | { type: 'sandbox_leased'; waitedMs?: number }
  | { type: 'iteration_started'; iteration: number; node: string; parent: string }
  /** A piece of the reply as it streams; the final step's text is the answer. */
  | { type: 'token'; iteration: number; text: string }
  /** The thought of a step that went on to call tools (its streamed text was not the answer). */
  | { type: 'reasoning'; iteration: number; text: string; toolNames: string[] }
  | {
      type: 'tool_call';
      iteration: number;
      callId: string;
      name: string;
      args: unknown;
      node: string;
      parent: string;
    }
  | {
      type: 'tool_result';
      iteration: number;
      callId: string;
      name: string;
      ok: boolean;
      output: string;
      durationMs: number;
      node: string;
    }
  | { type: 'memory_update'; section: string; mode: string; content: string; parent: string }
  | {
      type: 'iteration_finished';
      iteration: number;
      finishReason: string;
      /** The step's model call, as the traced model priced it. */
      usage: Usage;
      node: string;
    }
  /** Live output of sandbox code: run_python's, or an RLM code block's (`run` says which). */
  | {
      type: 'sandbox_output';
      callId: string;
      stream: 'stdout' | 'stderr';
      text: string;
      run?: { runId: string; depth: number; iteration: number };
    }
  | (RlmPlace & {
      type: 'rlm_run_started';
      node: string;
      parent: string;
      /** What started it: the agent tool, or the REPL primitive (`sub_rlm`, `sub_rlm_batched`). */
      startedBy: string;
      parentRunId: string | null;
      model: string;
      question: string;
    })
  | (RlmPlace & { type: 'rlm_iteration_started'; node: string; parent: string; iteration: number })
  | (RlmPlace & {
      type: 'rlm_iteration_finished';
      node: string;
      iteration: number;
      reasoning: string;
      blocks: Array<{ code: string; stdout: string; error: string | null }>;
      submitted: boolean;
      feedback: string;
      usage: Usage;
      llmCallsUsed: number;
      maxLlmCalls: number;
      durationMs: number;
    })
  | (RlmPlace & {
      type: 'code_block_started';
      node: string;
      parent: string;
      iteration: number;
      index: number;
      code: string;
    })
  | (RlmPlace & {
      type: 'code_block_finished';
      node: string;
      index: number;
      stdout: string;
      stderr: string;
      error: { type: string; message: string } | null;
      submitted: Record<string, unknown> | null;
      durationMs: number;
    })
  /** Model code called a host function (`llm_query`, `sub_rlm`, a tool, …). */
  | (RlmPlace & { type: 'host_call_started'; node: string; parent: string; name: string; args: string })
  | (RlmPlace & {
      type: 'host_call_finished';
      node: string;
      name: string;
      ok: boolean;
      result: string | null;
      error: string | null;
      durationMs: number;
      degraded: string | null;
    })
  /** A model call made for the run other than its iterations (`llm_query`, the final extract). */
  | (RlmPlace & {
      type: 'sub_lm_call';
      parent: string;
      purpose: string;
      model: string;
      usage: Usage;
      latencyMs: number;
    })
  | (RlmPlace & {
      type: 'rlm_run_finished';
      node: string;
      termination: { reason: string; detail: string };
      answer: string;
      usage: Usage;
      durationMs: number;
    });

export type AgentEventSink = (event: AgentEvent) => void;

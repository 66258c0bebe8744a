/**
 * What the chat agent reports while it answers a turn. The turn runner turns these into chat
 * frames and execution steps; the agent itself knows nothing about sockets or sequence numbers.
 */
import type { RlmEvent } from '../rlm/rlm-types.js';

export type AgentEvent =
  | { type: 'status'; text: string; phase?: string }
  | { type: 'iteration_started'; iteration: number }
  /** A piece of the reply as it streams; the final step's text is the answer. */
  | { type: 'token'; iteration: number; text: string }
  /** The thought of a step that went on to call tools (its streamed text was not the answer). */
  | { type: 'reasoning'; iteration: number; text: string; toolNames: string[] }
  | { type: 'tool_call'; iteration: number; callId: string; name: string; args: unknown }
  | {
      type: 'tool_result';
      iteration: number;
      callId: string;
      name: string;
      ok: boolean;
      output: string;
      durationMs: number;
    }
  | { type: 'memory_update'; section: string; mode: string; content: string }
  /** Live output of code the agent runs itself (run_python, search_document). */
  | { type: 'sandbox_output'; callId: string; stream: 'stdout' | 'stderr'; text: string }
  /** Everything an RLM started by a tool call reports, tagged with that call. */
  | { type: 'rlm'; callId: string; event: RlmEvent }
  | {
      type: 'iteration_finished';
      iteration: number;
      finishReason: string;
      inputTokens: number;
      outputTokens: number;
    };

export type AgentEventSink = (event: AgentEvent) => void;

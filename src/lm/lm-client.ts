/**
 * The model-roles seam: what the RLM engine and the agent need from a language model. One
 * implementation (`ai-sdk-client.ts`) speaks to real providers through the Vercel AI SDK.
 *
 * Roles: `planner` drives the chat agent and `fleet-rlm run`'s root; `delegate` runs child RLMs;
 * `delegate_small` answers `llm_query`. A role without its own model falls back:
 * delegate_small -> delegate -> planner, delegate -> planner.
 */

import type { Usage } from '../util/usage.js';

export const MODEL_ROLES = ['planner', 'delegate', 'delegate_small'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

export interface LmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LmCallOptions {
  role: ModelRole;
  messages: LmMessage[];
  signal?: AbortSignal;
  /** Per-call timeout; defaults to the configured LM timeout (60 s). */
  timeoutMs?: number;
  maxTokens?: number;
  /** What the call is for (`rlm.iteration`, `llm_query`, `rlm.extract`, ...), for telemetry. */
  purpose?: string;
}

export interface LmResponse {
  text: string;
  /** The role that actually served the call, after fallbacks. */
  role: ModelRole;
  /** `provider/model` as configured. */
  model: string;
  /** Tokens and cost, as priced once by the traced model (`usage.ts`). */
  usage: Usage;
  latencyMs: number;
  finishReason: string;
}

export interface ResolvedRole {
  role: ModelRole;
  model: string;
}

export interface LmClient {
  generate(options: LmCallOptions): Promise<LmResponse>;
  /** The model serving `role` after fallbacks, or undefined when nothing is configured. */
  resolve(role: ModelRole): ResolvedRole | undefined;
}

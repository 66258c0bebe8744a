/**
 * What every agent tool can reach during one turn: the session, its documents and sandbox, the
 * models, the budgets, and the event sink. Built by the chat agent once per turn.
 */
import type { AgentConfig, Config, DocumentsConfig } from '../../config/config.js';
import type { AiSdkLmClient } from '../../lm/ai-sdk-client.js';
import type { RlmBudgets } from '../../rlm/rlm-types.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import type { SandboxPool } from '../../sandbox/sandbox-pool.js';
import type { OwnedSession } from '../../sessions/owned-session.js';
import type { Usage } from '../../util/usage.js';
import type { AgentEventSink } from '../agent-events.js';

export interface ToolContext {
  /** The turn's session: its documents, core memory and sandbox are reached only through it. */
  session: OwnedSession;
  turnId: string;
  turnIndex: number;
  /** The session's sandbox, leased on first use and released when the turn ends. */
  sandbox(): Promise<{ sandbox: Sandbox; boundDocuments: Set<string> }>;
  pool: SandboxPool;
  lm: AiSdkLmClient;
  rlmBudgets: RlmBudgets;
  agent: AgentConfig;
  documentLimits: DocumentsConfig & { maxUploadBytes: number; workspaceRoot: string };
  signal: AbortSignal;
  emit: AgentEventSink;
  /** Counts delegate_to_rlm runs this turn (a batch counts each task). */
  delegations: { used: number };
  /** Usage of work done inside tools (RLM runs), added to the turn's total. */
  addUsage(usage: Usage): void;
  config: Pick<Config, 'rlm' | 'sandbox'>;
}

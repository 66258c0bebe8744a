/**
 * What every agent tool can reach during one turn: the session, its documents and sandbox, the
 * models, the budgets, and the event sink. Built by the chat agent once per turn.
 */
import type { AgentConfig, Config, DocumentsConfig } from '../../config/config.js';
import type { AiSdkLmClient } from '../../lm/ai-sdk-client.js';
import type { RlmBudgets } from '../../rlm/rlm-types.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import type { SandboxPool } from '../../sandbox/sandbox-pool.js';
import type { SessionRow, Store } from '../../store/store.js';
import type { AgentEventSink } from '../agent-events.js';
import type { SessionDocuments } from '../session-documents.js';

export interface ToolContext {
  store: Store;
  session: SessionRow;
  turnId: string;
  turnIndex: number;
  documents: SessionDocuments;
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
  addUsage(usage: {
    inputTokens: number;
    outputTokens: number;
    totalTokens: number;
    costUsd: number | null;
  }): void;
  config: Pick<Config, 'rlm' | 'sandbox'>;
}

/** Tool results go back to the model as text; a failure is a readable sentence, not a throw. */
export function toolFailure(message: string): string {
  return `[error] ${message}`;
}

/**
 * The turn aggregate's seam: one row per user message, numbered per session, deduplicated by
 * the client's message id, finished exactly once (with its usage and trace id), and found again
 * when a crash left it running.
 */
import type { ExecutionMode } from '../contract/client-frames.js';
import type { Usage } from '../util/usage.js';
import type { Identity } from './session-store.js';

export type TurnStatus = 'running' | 'completed' | 'error' | 'cancelled';

export interface TurnRow extends Identity {
  id: string;
  sessionId: string;
  /** 1, 2, 3, ... within the session. */
  index: number;
  clientMessageId: string | null;
  userMessage: string;
  assistantMessage: string | null;
  executionMode: ExecutionMode;
  status: TurnStatus;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  usage: Usage;
  traceId: string | null;
  /** The session's last chat seq before this turn's first frame (null on turns older than 0004). */
  chatStartSeq: number | null;
}

export interface TurnStore {
  /** Assigns the next index in the session; a duplicate clientMessageId in the session throws DuplicateTurnError. */
  createTurn(fields: {
    id: string;
    sessionId: string;
    identity: Identity;
    clientMessageId?: string;
    userMessage: string;
    executionMode: ExecutionMode;
    startedAt: number;
    /** The last chat seq before the turn (null when unknown). */
    chatStartSeq?: number;
  }): Promise<TurnRow>;
  getTurn(id: string): Promise<TurnRow | undefined>;
  findTurnByClientMessageId(sessionId: string, clientMessageId: string): Promise<TurnRow | undefined>;
  /** Oldest first. */
  listTurns(
    sessionId: string,
    options?: { limit?: number; afterIndex?: number; offset?: number },
  ): Promise<TurnRow[]>;
  countTurns(sessionId: string): Promise<number>;
  /** Records the outcome; `traceId` is the turn's trace in MLflow's form (none when tracing is off). */
  finishTurn(
    id: string,
    fields: {
      status: Exclude<TurnStatus, 'running'>;
      assistantMessage?: string;
      error?: string;
      finishedAt: number;
      usage: Usage;
      traceId?: string;
    },
  ): Promise<void>;
  /** Turns still marked running (after a crash). */
  runningTurns(): Promise<TurnRow[]>;
}

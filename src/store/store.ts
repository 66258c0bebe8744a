/**
 * The persistence seams, one per aggregate, and the whole they make. Each consumer depends on
 * the seam(s) it uses — `SessionStore`, `TurnStore`, `StepStore`, `DocumentStore`, `EventLog`,
 * `TraceStore`, `FeedbackStore` — and only the composition root (`server/start-server.ts`, the
 * CLI) holds a `Store`, opened by `openStore`: one Kysely implementation for SQLite (default,
 * under the data directory) and Postgres (DATABASE_URL).
 *
 * Times are epoch milliseconds (numbers) in every seam. JSON values are plain JSON and come
 * back parsed. The row types are re-exported here for modules that use a row but no seam.
 */
import type { DocumentStore } from './document-store.js';
import type { EventLog } from './event-log.js';
import type { FeedbackStore } from './feedback-store.js';
import type { SessionStore } from './session-store.js';
import type { StepStore } from './step-store.js';
import type { TraceStore } from './trace-store.js';
import type { TurnStore } from './turn-store.js';

export type { DocumentMeta, DocumentStore } from './document-store.js';
export { DuplicateSessionError } from './duplicate-session-error.js';
export { DuplicateTurnError } from './duplicate-turn-error.js';
export type { EventLog, EventRow, EventStream } from './event-log.js';
export type { FeedbackRow, FeedbackStore } from './feedback-store.js';
export type { Page } from './page.js';
export type {
  CoreMemory,
  Identity,
  SessionFilter,
  SessionListOptions,
  SessionRow,
  SessionStatus,
  SessionStore,
} from './session-store.js';
export type { StepRow, StepStore } from './step-store.js';
export type { SpanRow, TraceRow, TraceStore } from './trace-store.js';
export type { TurnRow, TurnStatus, TurnStore } from './turn-store.js';

/** The connection itself: which database, whether it answers, and shutting it. */
export interface StoreLifecycle {
  readonly dialect: 'sqlite' | 'postgres';
  /** A cheap round trip, for readiness. */
  ping(): Promise<boolean>;
  /** Idempotent: every call waits for the same shutdown. */
  close(): Promise<void>;
}

export interface Store
  extends StoreLifecycle,
    SessionStore,
    TurnStore,
    StepStore,
    DocumentStore,
    EventLog,
    TraceStore,
    FeedbackStore {}

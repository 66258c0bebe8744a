/**
 * Every store seam on Kysely, for SQLite and Postgres alike. The queries live in one module per
 * aggregate (`*-queries.ts`); this class binds them to a database and owns its lifetime. One
 * class, so one connection (SQLite has a single writer) serves every seam.
 */
import { type Kysely, sql } from 'kysely';
import * as documents from './document-queries.js';
import * as events from './event-queries.js';
import * as feedback from './feedback-queries.js';
import { OrderedWrites } from './ordered-writes.js';
import type { Database, StoreDialect } from './schema.js';
import * as sessions from './session-queries.js';
import * as steps from './step-queries.js';
import type {
  DocumentMeta,
  DocumentStore,
  EventRow,
  EventStream,
  FeedbackRow,
  Identity,
  Page,
  SessionFilter,
  SessionListOptions,
  SessionRow,
  SessionStore,
  SpanRow,
  StepRow,
  Store,
  TraceRow,
  TraceStore,
  TurnRow,
  TurnStore,
} from './store.js';
import type { SqliteHandle, StoreContext } from './store-context.js';
import * as traces from './trace-queries.js';
import * as turns from './turn-queries.js';

export class KyselyStore implements Store {
  private readonly context: StoreContext;
  private readonly stepWrites = new OrderedWrites();
  private closing: Promise<void> | undefined;

  constructor(
    /** For diagnostics and tests; everything else goes through the Store methods. */
    readonly db: Kysely<Database>,
    readonly dialect: StoreDialect,
    sqlite?: SqliteHandle,
    private readonly beforeClose?: () => Promise<void>,
  ) {
    this.context = { db, dialect, sqlite };
  }

  async ping(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  /** Idempotent: every call waits for the same shutdown. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.beforeClose?.();
      await this.db.destroy();
    })();
    return this.closing;
  }

  ensureIdentity(identity: Identity): Promise<void> {
    return sessions.ensureIdentity(this.context, identity);
  }

  createSession(identity: Identity, fields?: { title?: string; id?: string }): Promise<SessionRow> {
    return sessions.createSession(this.context, identity, fields);
  }

  getSession(id: string): Promise<SessionRow | undefined> {
    return sessions.getSession(this.context, id);
  }

  listSessions(identity: Identity, options: SessionListOptions): Promise<Page<SessionRow>> {
    return sessions.listSessions(this.context, identity, options);
  }

  countSessions(identity: Identity, filter: SessionFilter): Promise<number> {
    return sessions.countSessions(this.context, identity, filter);
  }

  updateSession(id: string, patch: Parameters<SessionStore['updateSession']>[1]): Promise<void> {
    return sessions.updateSession(this.context, id, patch);
  }

  archiveSession(id: string, at: number): Promise<void> {
    return sessions.archiveSession(this.context, id, at);
  }

  purgeArchivedSessions(before: number): Promise<number> {
    return sessions.purgeArchivedSessions(this.context, before);
  }

  createTurn(fields: Parameters<TurnStore['createTurn']>[0]): Promise<TurnRow> {
    return turns.createTurn(this.context, fields);
  }

  getTurn(id: string): Promise<TurnRow | undefined> {
    return turns.getTurn(this.context, id);
  }

  findTurnByClientMessageId(sessionId: string, clientMessageId: string): Promise<TurnRow | undefined> {
    return turns.findTurnByClientMessageId(this.context, sessionId, clientMessageId);
  }

  listTurns(sessionId: string, options?: Parameters<TurnStore['listTurns']>[1]): Promise<TurnRow[]> {
    return turns.listTurns(this.context, sessionId, options);
  }

  countTurns(sessionId: string): Promise<number> {
    return turns.countTurns(this.context, sessionId);
  }

  finishTurn(id: string, fields: Parameters<TurnStore['finishTurn']>[1]): Promise<void> {
    return turns.finishTurn(this.context, id, fields);
  }

  runningTurns(): Promise<TurnRow[]> {
    return turns.runningTurns(this.context);
  }

  /** Ordered per turn: see StepStore.appendSteps. */
  appendSteps(rows: StepRow[]): Promise<void> {
    const first = rows[0];
    if (!first) return Promise.resolve();
    return this.stepWrites.run(first.turnId, () => steps.appendSteps(this.context, rows));
  }

  listSteps(turnId: string): Promise<StepRow[]> {
    return steps.listSteps(this.context, turnId);
  }

  addDocument(fields: Parameters<DocumentStore['addDocument']>[0]): Promise<DocumentMeta> {
    return documents.addDocument(this.context, fields);
  }

  listDocuments(sessionId: string): Promise<DocumentMeta[]> {
    return documents.listDocuments(this.context, sessionId);
  }

  getDocument(id: string): Promise<DocumentMeta | undefined> {
    return documents.getDocument(this.context, id);
  }

  getDocumentByAlias(sessionId: string, alias: string): Promise<DocumentMeta | undefined> {
    return documents.getDocumentByAlias(this.context, sessionId, alias);
  }

  getDocumentText(id: string): Promise<string | undefined> {
    return documents.getDocumentText(this.context, id);
  }

  deleteDocument(id: string): Promise<void> {
    return documents.deleteDocument(this.context, id);
  }

  appendEvents(rows: EventRow[]): Promise<void> {
    return events.appendEvents(this.context, rows);
  }

  readEvents(sessionId: string, stream: EventStream, afterSeq: number, limit: number): Promise<EventRow[]> {
    return events.readEvents(this.context, sessionId, stream, afterSeq, limit);
  }

  seqRange(sessionId: string, stream: EventStream): Promise<{ first: number; last: number }> {
    return events.seqRange(this.context, sessionId, stream);
  }

  trimEvents(sessionId: string, stream: EventStream, keep: number): Promise<void> {
    return events.trimEvents(this.context, sessionId, stream, keep);
  }

  writeSpans(spans: SpanRow[], finished: TraceRow[] = []): Promise<void> {
    return traces.writeSpans(this.context, spans, finished);
  }

  getTrace(traceId: string): Promise<TraceRow | undefined> {
    return traces.getTrace(this.context, traceId);
  }

  listTraces(sessionId: string, options: Parameters<TraceStore['listTraces']>[1]): Promise<Page<TraceRow>> {
    return traces.listTraces(this.context, sessionId, options);
  }

  listSpans(traceId: string): Promise<SpanRow[]> {
    return traces.listSpans(this.context, traceId);
  }

  addFeedback(row: FeedbackRow): Promise<void> {
    return feedback.addFeedback(this.context, row);
  }

  listFeedback(options?: { turnId?: string; traceId?: string }): Promise<FeedbackRow[]> {
    return feedback.listFeedback(this.context, options);
  }
}

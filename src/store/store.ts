/**
 * The persistence seam: everything the live API keeps — identities, sessions, turns, runs,
 * execution steps, documents, the per-session replay log of frames, feedback. One Kysely
 * implementation serves SQLite (default, under the data directory) and Postgres (DATABASE_URL).
 *
 * Times are epoch milliseconds (numbers) everywhere in this interface. JSON columns hold
 * plain JSON values and come back parsed.
 */

export interface Identity {
  workspaceId: string;
  userId: string;
}

export type SessionStatus = 'active' | 'archived';

export interface CoreMemory {
  persona: string;
  human: string;
  scratchpad: string;
}

export interface SessionRow extends Identity {
  id: string;
  title: string;
  status: SessionStatus;
  createdAt: number;
  updatedAt: number;
  archivedAt: number | null;
  activeDocumentId: string | null;
  coreMemory: CoreMemory;
  /** Summary of turns older than the ones kept verbatim in the prompt. */
  historySummary: string;
  /** Index of the last turn folded into historySummary (0 = none). */
  summarizedThrough: number;
}

export type TurnStatus = 'running' | 'completed' | 'error' | 'cancelled';
export type ExecutionMode = 'auto' | 'rlm_only' | 'tools_only';

export interface TurnUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
}

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
  usage: TurnUsage;
  traceId: string | null;
}

export interface RunRow {
  id: string;
  turnId: string;
  sessionId: string;
  parentRunId: string | null;
  depth: number;
  kind: 'agent' | 'rlm';
  model: string;
  question: string;
  status: 'running' | 'completed' | 'partial' | 'error' | 'cancelled';
  terminationReason: string | null;
  startedAt: number;
  finishedAt: number | null;
  usage: TurnUsage;
}

export type StepType = 'llm' | 'tool' | 'repl' | 'memory' | 'output';

export interface StepRow {
  id: string;
  sessionId: string;
  turnId: string;
  runId: string;
  parentId: string | null;
  type: StepType;
  label: string;
  depth: number;
  actorKind: string;
  actorId: string;
  laneKey: string;
  input: unknown;
  output: unknown;
  timestamp: number;
}

export interface DocumentMeta {
  id: string;
  sessionId: string;
  alias: string;
  name: string;
  /** Where it came from: `upload`, `text`, a URL, or `workspace:<path>`. */
  source: string;
  mimeType: string;
  sizeBytes: number;
  /** Characters of extracted text. */
  textChars: number;
  createdAt: number;
}

export type EventStream = 'chat' | 'passive';

export interface EventRow {
  sessionId: string;
  stream: EventStream;
  seq: number;
  turnId: string | null;
  /** The whole frame as sent on the socket. */
  frame: unknown;
  /** The same frame as JSON text: given on append to skip a second serialization, and always
   * returned on read so a replay sends the stored text as is. */
  frameJson?: string;
  createdAt: number;
}

export interface FeedbackRow {
  id: string;
  turnId: string;
  traceId: string | null;
  workspaceId: string;
  userId: string;
  isCorrect: boolean;
  comment: string | null;
  expectedResponse: string | null;
  createdAt: number;
}

/** One trace per turn, as kept by the embedded trace store (so traces work without MLflow). */
export interface TraceRow {
  /** MLflow's form: `tr-` + the 32-hex OpenTelemetry trace id. */
  traceId: string;
  sessionId: string;
  turnId: string | null;
  workspaceId: string;
  userId: string;
  name: string;
  status: 'OK' | 'ERROR' | 'IN_PROGRESS';
  startedAt: number;
  durationMs: number | null;
  requestPreview: string;
  responsePreview: string;
  usage: TurnUsage;
  spanCount: number;
}

export interface SpanRow {
  traceId: string;
  /** 16-hex OpenTelemetry span id. */
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** `mlflow.spanType`: AGENT, CHAIN, LLM, CHAT_MODEL, TOOL, ... */
  spanType: string;
  /** Epoch microseconds. */
  startUs: number;
  endUs: number;
  status: 'OK' | 'ERROR' | 'UNSET';
  statusMessage: string | null;
  /** Span attributes as set on the span, already redacted (`mlflow.*` values are JSON text). */
  attributes: Record<string, unknown>;
  events: Array<{ name: string; timeUs: number; attributes: Record<string, unknown> }>;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** Which of an identity's sessions a list or count covers. */
export interface SessionFilter {
  query?: string;
  status?: SessionStatus;
  includeArchived?: boolean;
}

export interface SessionListOptions extends SessionFilter {
  limit: number;
  cursor?: string;
  offset?: number;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** A cheap round trip, for readiness. */
  ping(): Promise<boolean>;
  close(): Promise<void>;

  ensureIdentity(identity: Identity): Promise<void>;

  /** A random id unless `id` is given; an id that exists already throws DuplicateSessionError. */
  createSession(identity: Identity, fields?: { title?: string; id?: string }): Promise<SessionRow>;
  getSession(id: string): Promise<SessionRow | undefined>;
  /**
   * Newest first; `query` matches the title or any user message (case-insensitive substring).
   * `status` keeps one status only (it overrides `includeArchived`); `offset` skips that many
   * (for clients that page by offset; `cursor` is the stable way).
   */
  listSessions(identity: Identity, options: SessionListOptions): Promise<Page<SessionRow>>;
  /** How many sessions `listSessions` would list over all its pages. */
  countSessions(identity: Identity, options: SessionFilter): Promise<number>;
  updateSession(
    id: string,
    patch: Partial<
      Pick<SessionRow, 'title' | 'activeDocumentId' | 'coreMemory' | 'historySummary' | 'summarizedThrough'>
    >,
  ): Promise<void>;
  archiveSession(id: string, at: number): Promise<void>;
  /** Deletes archived sessions older than `before` with everything they own; returns how many. */
  purgeArchivedSessions(before: number): Promise<number>;

  /** Assigns the next index in the session; a duplicate clientMessageId in the session throws DuplicateTurnError. */
  createTurn(fields: {
    id: string;
    sessionId: string;
    identity: Identity;
    clientMessageId?: string;
    userMessage: string;
    executionMode: ExecutionMode;
    startedAt: number;
  }): Promise<TurnRow>;
  getTurn(id: string): Promise<TurnRow | undefined>;
  findTurnByClientMessageId(sessionId: string, clientMessageId: string): Promise<TurnRow | undefined>;
  /** Oldest first. */
  listTurns(
    sessionId: string,
    options?: { limit?: number; afterIndex?: number; offset?: number },
  ): Promise<TurnRow[]>;
  countTurns(sessionId: string): Promise<number>;
  finishTurn(
    id: string,
    fields: {
      status: Exclude<TurnStatus, 'running'>;
      assistantMessage?: string;
      error?: string;
      finishedAt: number;
      usage: TurnUsage;
      traceId?: string;
    },
  ): Promise<void>;
  /** Turns still marked running (after a crash). */
  runningTurns(): Promise<TurnRow[]>;

  createRun(row: Omit<RunRow, 'status' | 'terminationReason' | 'finishedAt' | 'usage'>): Promise<void>;
  finishRun(
    id: string,
    fields: { status: RunRow['status']; terminationReason?: string; finishedAt: number; usage: TurnUsage },
  ): Promise<void>;
  listRuns(turnId: string): Promise<RunRow[]>;

  /** Batch insert, one transaction. */
  appendSteps(steps: StepRow[]): Promise<void>;
  listSteps(turnId: string): Promise<StepRow[]>;

  addDocument(
    fields: Omit<DocumentMeta, 'createdAt' | 'textChars'> & { text: string; createdAt: number },
  ): Promise<DocumentMeta>;
  listDocuments(sessionId: string): Promise<DocumentMeta[]>;
  getDocument(id: string): Promise<DocumentMeta | undefined>;
  getDocumentByAlias(sessionId: string, alias: string): Promise<DocumentMeta | undefined>;
  getDocumentText(id: string): Promise<string | undefined>;
  deleteDocument(id: string): Promise<void>;

  /** Batch insert, one transaction; (sessionId, stream, seq) is unique. */
  appendEvents(events: EventRow[]): Promise<void>;
  /** Frames with seq > afterSeq, ascending, at most `limit`. */
  readEvents(sessionId: string, stream: EventStream, afterSeq: number, limit: number): Promise<EventRow[]>;
  /** Highest and lowest seq kept for the stream (0, 0 when empty). */
  seqRange(sessionId: string, stream: EventStream): Promise<{ first: number; last: number }>;
  /** Keeps only the newest `keep` frames of the stream. */
  trimEvents(sessionId: string, stream: EventStream, keep: number): Promise<void>;

  /**
   * One export batch, one transaction: finished spans (a span id seen twice keeps the first)
   * and the summaries of the traces whose root ended in it (inserted or replaced).
   */
  writeSpans(spans: SpanRow[], traces?: TraceRow[]): Promise<void>;
  getTrace(traceId: string): Promise<TraceRow | undefined>;
  /** Newest first. */
  listTraces(sessionId: string, options: { limit: number; cursor?: string }): Promise<Page<TraceRow>>;
  /** Every span of a trace, in start order. */
  listSpans(traceId: string): Promise<SpanRow[]>;
  /** Records the trace id of a turn (the turn row is finished before its trace is exported). */
  setTurnTraceId(turnId: string, traceId: string): Promise<void>;

  addFeedback(row: FeedbackRow): Promise<void>;
  listFeedback(options?: { turnId?: string; traceId?: string }): Promise<FeedbackRow[]>;
}

const duplicateMarker = Symbol.for('fleet-rlm.DuplicateTurnError');

export class DuplicateTurnError extends Error {
  readonly [duplicateMarker] = true;
  constructor(
    readonly sessionId: string,
    readonly clientMessageId: string,
  ) {
    super(`session ${sessionId} already has a turn for client_message_id ${clientMessageId}`);
    this.name = 'DuplicateTurnError';
  }

  static isInstance(error: unknown): error is DuplicateTurnError {
    return typeof error === 'object' && error !== null && duplicateMarker in error;
  }
}

const duplicateSessionMarker = Symbol.for('fleet-rlm.DuplicateSessionError');

/** A session with the requested id exists already (whoever owns it). */
export class DuplicateSessionError extends Error {
  readonly [duplicateSessionMarker] = true;
  constructor(readonly sessionId: string) {
    super(`a session with id ${sessionId} exists already`);
    this.name = 'DuplicateSessionError';
  }

  static isInstance(error: unknown): error is DuplicateSessionError {
    return typeof error === 'object' && error !== null && duplicateSessionMarker in error;
  }
}

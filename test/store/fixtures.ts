/** Small builders for store tests: unique identities, sessions with turns, steps, events, traces and spans. */
import { randomBytes, randomUUID } from 'node:crypto';
import type {
  EventRow,
  EventStream,
  Identity,
  SpanRow,
  StepRow,
  Store,
  TraceRow,
  TurnRow,
} from '../../src/store/store.js';

export function newIdentity(): Identity {
  return { workspaceId: `ws-${randomUUID()}`, userId: `user-${randomUUID()}` };
}

export async function addTurn(
  store: Store,
  sessionId: string,
  identity: Identity,
  fields: { userMessage?: string; clientMessageId?: string; startedAt?: number } = {},
): Promise<TurnRow> {
  return store.createTurn({
    id: randomUUID(),
    sessionId,
    identity,
    userMessage: fields.userMessage ?? 'hello',
    clientMessageId: fields.clientMessageId,
    executionMode: 'auto',
    startedAt: fields.startedAt ?? Date.now(),
  });
}

/** A new identity with a session holding one turn. */
export async function sessionWithTurn(store: Store, fields: Parameters<typeof addTurn>[3] = {}) {
  const identity = newIdentity();
  const session = await store.createSession(identity);
  const turn = await addTurn(store, session.id, identity, fields);
  return { identity, session, turn };
}

export function step(turn: TurnRow, runId: string, fields: Partial<StepRow> = {}): StepRow {
  return {
    id: randomUUID(),
    sessionId: turn.sessionId,
    turnId: turn.id,
    runId,
    parentId: null,
    type: 'llm',
    label: 'planner',
    depth: 0,
    actorKind: 'agent',
    actorId: 'agent',
    laneKey: 'root',
    input: { prompt: 'p' },
    output: { text: 'o' },
    timestamp: 1_700_000_000_000,
    ...fields,
  };
}

export function events(
  sessionId: string,
  stream: EventStream,
  fromSeq: number,
  count: number,
  turnId: string | null = null,
): EventRow[] {
  return Array.from({ length: count }, (_, offset) => {
    const seq = fromSeq + offset;
    return {
      sessionId,
      stream,
      seq,
      turnId,
      frame: { type: 'event', data: { seq } },
      createdAt: 1_000 + seq,
    };
  });
}

/** MLflow's form of a fresh OpenTelemetry trace id. */
export function newTraceId(): string {
  return `tr-${randomBytes(16).toString('hex')}`;
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

export function trace(turn: TurnRow, traceId: string, fields: Partial<TraceRow> = {}): TraceRow {
  return {
    traceId,
    sessionId: turn.sessionId,
    turnId: turn.id,
    workspaceId: turn.workspaceId,
    userId: turn.userId,
    name: 'turn',
    status: 'OK',
    startedAt: 1_700_000_000_000,
    durationMs: 1_234,
    requestPreview: turn.userMessage,
    responsePreview: 'the answer',
    usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15, costUsd: 0.0015 },
    spanCount: 1,
    ...fields,
  };
}

export function span(traceId: string, fields: Partial<SpanRow> = {}): SpanRow {
  return {
    traceId,
    spanId: newSpanId(),
    parentSpanId: null,
    name: 'llm call',
    spanType: 'LLM',
    startUs: 1_700_000_000_000_000,
    endUs: 1_700_000_000_500_000,
    status: 'OK',
    statusMessage: null,
    attributes: { 'mlflow.spanType': 'LLM' },
    events: [],
    ...fields,
  };
}

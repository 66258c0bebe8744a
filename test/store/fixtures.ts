/** Small builders for store tests: unique identities, sessions with turns, steps and events. */
import { randomUUID } from 'node:crypto';
import type { EventRow, EventStream, Identity, StepRow, Store, TurnRow } from '../../src/store/store.js';

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

/**
 * The execution steps of each turn: the durable record of its step tree (agent step -> tool call
 * -> RLM run -> iteration / code / callback -> child run ...), linked by parent ids. The replay
 * log keeps only the newest EVENTS_REPLAY_LIMIT frames of a session, so a finished turn's
 * trajectory is read from here (`GET /api/v1/sessions/{id}/turns/{turn_id}/steps`), never
 * rebuilt from frames.
 */
import type { StepType } from '../contract/passive-frames.js';

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

export interface StepStore {
  /**
   * Batch insert, one transaction (all or nothing). A batch holds steps of one turn; batches of
   * the same turn are written in the order of the calls, even when a call does not wait for the
   * one before (the event sink writes each step as it happens).
   */
  appendSteps(steps: StepRow[]): Promise<void>;
  /** A turn's steps in the order they were appended (parents before their children). */
  listSteps(turnId: string): Promise<StepRow[]>;
}

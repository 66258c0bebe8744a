/**
 * Human feedback on a turn's answer: kept in the local store (the dataset `export-feedback`
 * writes) and logged to MLflow as assessments on the turn's trace — feedback
 * `response_is_correct` from a HUMAN source with the user's id, and an expectation
 * `expected_response` when one is given. Either sink may be down; the feedback is refused only
 * when neither takes it.
 */
import { randomUUID } from 'node:crypto';
import type { ErrorCode } from '../contract/error-codes.js';
import { FleetError } from '../contract/fleet-error.js';
import type { FeedbackBody, FeedbackResult } from '../contract/trace-schemas.js';
import type { FeedbackStore } from '../store/feedback-store.js';
import type { TraceStore } from '../store/trace-store.js';
import type { TurnRow } from '../store/turn-store.js';
import { MlflowError } from './mlflow/mlflow-error.js';
import type { MlflowStatus } from './mlflow/mlflow-status.js';

export type FeedbackErrorCode = Extract<
  ErrorCode,
  'turn_not_found' | 'trace_not_found' | 'trace_turn_mismatch' | 'feedback_unavailable'
>;

/** The caller's own turn by id; undefined for unknown and someone else's turns alike. */
export type FindOwnedTurn = (turnId: string) => Promise<TurnRow | undefined>;

export class FeedbackError extends FleetError<FeedbackErrorCode> {
  static override readonly errorName = 'FeedbackError';

  constructor(code: FeedbackErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface FeedbackRecorderDeps {
  /** Where feedback is kept, and the local traces that name a trace's turn. */
  store: FeedbackStore & Pick<TraceStore, 'getTrace'>;
  mlflow?: MlflowStatus;
  /** Exports finished spans now: feedback can arrive before the trace reached MLflow. */
  flushTraces?: () => Promise<void>;
  log?: (message: string) => void;
}

export class FeedbackRecorder {
  constructor(private readonly deps: FeedbackRecorderDeps) {}

  /**
   * Records feedback on one of the caller's turns. `findOwnedTurn` is the ownership check: a turn
   * or trace that is not the caller's is reported exactly like one that does not exist.
   */
  async record(body: FeedbackBody, findOwnedTurn: FindOwnedTurn): Promise<FeedbackResult> {
    const turn = await this.resolveTurn(body, findOwnedTurn);
    const traceId = body.trace_id ?? turn.traceId;
    const feedbackId = `fb-${randomUUID()}`;
    let storedLocally = true;
    try {
      await this.deps.store.addFeedback({
        id: feedbackId,
        turnId: turn.id,
        traceId,
        workspaceId: turn.workspaceId,
        userId: turn.userId,
        isCorrect: body.is_correct,
        comment: body.comment ?? null,
        expectedResponse: body.expected_response ?? null,
        createdAt: Date.now(),
      });
    } catch (error) {
      storedLocally = false;
      this.deps.log?.(`feedback on turn ${turn.id} could not be stored locally: ${String(error)}`);
    }
    const mlflow = await this.logToMlflow(traceId, turn, body);
    if (!storedLocally && !mlflow.logged) {
      throw new FeedbackError(
        'feedback_unavailable',
        `the feedback could not be kept: the database refused it and MLflow did not take it (${mlflow.error})`,
      );
    }
    return {
      feedback_id: feedbackId,
      trace_id: traceId,
      turn_id: turn.id,
      stored_locally: storedLocally,
      mlflow,
    };
  }

  private async resolveTurn(body: FeedbackBody, findOwnedTurn: FindOwnedTurn): Promise<TurnRow> {
    const { store } = this.deps;
    if (body.turn_id) {
      const turn = await findOwnedTurn(body.turn_id);
      if (!turn) throw new FeedbackError('turn_not_found', `no turn ${body.turn_id}`);
      if (body.trace_id && turn.traceId && body.trace_id !== turn.traceId) {
        throw new FeedbackError(
          'trace_turn_mismatch',
          `trace ${body.trace_id} is not the trace of turn ${turn.id} (${turn.traceId}); send one of them`,
        );
      }
      return turn;
    }
    const traceId = body.trace_id!;
    const turnId = (await store.getTrace(traceId))?.turnId ?? (await this.turnIdFromMlflow(traceId));
    const turn = turnId ? await findOwnedTurn(turnId) : undefined;
    if (!turn) throw new FeedbackError('trace_not_found', `no trace ${traceId} for a turn of this server`);
    return turn;
  }

  private async turnIdFromMlflow(traceId: string): Promise<string | undefined> {
    const mlflow = this.deps.mlflow;
    if (!mlflow?.experimentId) return undefined;
    try {
      return (await mlflow.client.getTraceInfo(traceId)).tags['fleet_rlm.turn_id'];
    } catch {
      return undefined;
    }
  }

  private async logToMlflow(
    traceId: string | null,
    turn: TurnRow,
    body: FeedbackBody,
  ): Promise<FeedbackResult['mlflow']> {
    const mlflow = this.deps.mlflow;
    const notLogged = (error: string) => ({ logged: false, assessment_ids: [], error });
    if (!mlflow || mlflow.status === 'disabled')
      return notLogged('MLflow is disabled (MLFLOW_ENABLED=false)');
    if (!traceId) return notLogged(`turn ${turn.id} has no trace (tracing was off when it ran)`);
    const snapshot = await mlflow.settled();
    if (snapshot.status !== 'ready') {
      return notLogged(
        `MLflow is ${snapshot.status}${snapshot.startupError ? `: ${snapshot.startupError}` : ''}`,
      );
    }
    const source = { sourceId: turn.userId, sourceType: 'HUMAN' as const };
    const log = async () => {
      const ids: string[] = [];
      const feedback = await mlflow.client.logFeedback(traceId, {
        ...source,
        name: 'response_is_correct',
        value: body.is_correct,
        ...(body.comment ? { rationale: body.comment } : {}),
        metadata: { turn_id: turn.id, workspace_id: turn.workspaceId },
      });
      ids.push(feedback.assessmentId);
      if (body.expected_response !== undefined) {
        const expectation = await mlflow.client.logExpectation(traceId, {
          ...source,
          name: 'expected_response',
          value: body.expected_response,
        });
        ids.push(expectation.assessmentId);
      }
      return ids;
    };
    try {
      let ids: string[];
      try {
        ids = await log();
      } catch (error) {
        if (!(MlflowError.isInstance(error) && error.isNotFound) || !this.deps.flushTraces) throw error;
        // The trace may still sit in the export queue: send it, then try once more.
        await this.deps.flushTraces();
        ids = await log();
      }
      return { logged: true, assessment_ids: ids, error: null };
    } catch (error) {
      const reason =
        MlflowError.isInstance(error) && error.isNotFound
          ? `MLflow has no trace ${traceId} (it was not exported while MLflow was unavailable)`
          : `MLflow refused the assessment: ${error instanceof Error ? error.message : String(error)}`;
      return notLogged(reason);
    }
  }
}

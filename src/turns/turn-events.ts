/**
 * Where a turn's events go: each thing the agent reports becomes at most one chat frame on
 * `/ws/execution` (`ChatFrameMapper`) and at most one execution step on `/ws/execution/events`
 * (`StepBuilder`; steps are persisted as they happen). Tracks what is in flight so the turn
 * can wait for it; emits the turn's terminal frames and goes quiet after them.
 */
import { randomUUID } from 'node:crypto';
import type { AgentEvent } from '../agent/agent-events.js';
import type { EventKind, PayloadInput } from '../contract/chat-events.js';
import type { ExecutionMode } from '../contract/client-frames.js';
import type { ErrorCode } from '../contract/error-codes.js';
import type { PassiveFrameInput } from '../contract/passive-frames.js';
import type { ExecutionEventEmitter, SessionRef } from '../events/execution-event-emitter.js';
import type { StepStore } from '../store/step-store.js';
import { toWireUsage, type Usage, ZERO_USAGE } from '../util/usage.js';
import { ChatFrameMapper, type TurnRuntimeSettings } from './chat-frame-mapper.js';
import { type BuiltStep, StepBuilder } from './step-builder.js';
import type { TurnOutputLimits } from './turn-output-budget.js';

/** How a turn ends: what its one terminal frame says. */
export type TurnEnd =
  | { status: 'completed'; text: string; usage: Usage; iterations: number; delegations: number }
  | { status: 'cancelled'; text: string; reason: string }
  | { status: 'error'; text: string; code: ErrorCode };

export interface TurnEventOptions {
  executionMode: ExecutionMode;
  runtime: TurnRuntimeSettings;
  log: (message: string) => void;
  outputLimits?: TurnOutputLimits;
}

export class TurnEventSink {
  private closed = false;
  private pending: Promise<unknown> = Promise.resolve();
  private readonly steps: StepBuilder;
  private readonly frames: ChatFrameMapper;

  constructor(
    private readonly emitter: ExecutionEventEmitter,
    private readonly store: Pick<StepStore, 'appendSteps'>,
    private readonly ref: SessionRef,
    private readonly turnId: string,
    private readonly options: TurnEventOptions,
  ) {
    this.steps = new StepBuilder(turnId, ref.sessionId);
    this.frames = new ChatFrameMapper(
      (kind, text, payload) => {
        const emitted = this.emitter.emitEvent(this.ref, this.turnId, kind, text, payload);
        this.track(emitted);
        return emitted;
      },
      options.runtime,
      options.executionMode,
      (node) => this.steps.idOf(node),
      options.outputLimits,
    );
  }

  /** After the turn's terminal frame nothing more is emitted (a cancelled turn's stragglers). */
  close(): void {
    this.closed = true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves when every frame emitted so far is delivered. */
  settled(): Promise<unknown> {
    return this.pending;
  }

  /** A frame of the turn itself (its start, its terminal frame), from the agent's level. */
  chat<K extends EventKind>(kind: K, text: string, payload: PayloadInput<K>): Promise<unknown> {
    return this.frames.frame(kind, text, payload);
  }

  passive(
    frame: PassiveFrameInput<'execution_started'> | PassiveFrameInput<'execution_completed'>,
  ): Promise<unknown> {
    const emitted = this.emitter.emitPassive(this.ref, this.turnId, frame);
    this.track(emitted);
    return emitted;
  }

  /**
   * The turn's one terminal chat frame and its `execution_completed`; nothing is emitted after
   * them. Resolves once both are delivered.
   */
  async end(
    terminal: TurnEnd,
    turn: { turnIndex: number; durationMs: number; traceId: string | null },
  ): Promise<void> {
    const usage = toWireUsage(terminal.status === 'completed' ? terminal.usage : ZERO_USAGE);
    const completed = this.passive({
      type: 'execution_completed',
      run_id: this.turnId,
      step: null,
      summary: {
        run_id: this.turnId,
        status: terminal.status,
        duration_ms: turn.durationMs,
        usage,
        final_artifact: terminal.status === 'completed' ? finalArtifact(terminal.text) : null,
      },
    });
    const end = { trace_id: turn.traceId, duration_ms: turn.durationMs };
    const frame =
      terminal.status === 'completed'
        ? this.chat('final', terminal.text, {
            usage,
            cost_usd: usage.cost_usd,
            turn_index: turn.turnIndex,
            iterations: terminal.iterations,
            delegations: terminal.delegations,
            mlflow_trace_id: turn.traceId,
            final_artifact: finalArtifact(terminal.text),
            ...end,
          })
        : terminal.status === 'cancelled'
          ? this.chat('cancelled', terminal.text, { reason: terminal.reason, ...end })
          : this.chat('error', terminal.text, { code: terminal.code, ...end });
    this.close();
    await Promise.all([completed, frame]);
  }

  handle(event: AgentEvent): void {
    if (this.closed) return;
    const built = this.steps.stepFor(event);
    if (built) this.record(built);
    this.frames.handle(event);
  }

  /** Emits the step on the execution stream and persists it. */
  private record({ step, row }: BuiltStep): void {
    this.track(
      this.emitter.emitPassive(this.ref, this.turnId, {
        type: 'execution_step',
        run_id: this.turnId,
        step,
        summary: null,
      }),
    );
    this.track(this.store.appendSteps([row]));
  }

  private track(work: Promise<unknown>): void {
    const guarded = work.catch((error: unknown) =>
      this.options.log(`turn ${this.turnId}: could not emit: ${String(error)}`),
    );
    this.pending = Promise.all([this.pending, guarded]);
  }
}

/** The answer as the original's `final_artifact` gives it. */
function finalArtifact(text: string) {
  return {
    kind: 'assistant_response' as const,
    value: { text, final_markdown: text },
    finalization_mode: 'RETURN' as const,
  };
}

export function newTurnId(): string {
  return randomUUID();
}

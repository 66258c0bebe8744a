/**
 * Turns what the agent reports into what clients see: chat events on `/ws/execution` and, for
 * the same happenings, execution steps on `/ws/execution/events` (persisted as they happen,
 * linked by parent ids into one tree per turn: turn -> agent step -> tool call -> RLM run ->
 * RLM iteration / code block / host callback -> child run ...).
 */
import { randomUUID } from 'node:crypto';
import type { AgentEvent } from '../agent/agent-events.js';
import type { ExecutionEventEmitter, SessionRef } from '../events/execution-event-emitter.js';
import type { EventKind, ExecutionStep } from '../events/frames.js';
import type { RlmEvent } from '../rlm/rlm-types.js';
import type { StepRow, StepStore } from '../store/step-store.js';
import { preview } from '../util/text.js';
import { DEFAULT_TURN_OUTPUT_LIMITS, TurnOutputBudget, type TurnOutputLimits } from './turn-output-budget.js';

const TEXT_PREVIEW = 2000;

export class TurnEventSink {
  private closed = false;
  private stepCount = 0;
  private readonly rootStep: string;
  private iterationStep?: string;
  private readonly toolSteps = new Map<string, string>();
  /** RLM run id -> its step; and the open sub_rlm callback steps per run (children hang off them). */
  private readonly runSteps = new Map<string, string>();
  private readonly callbackSteps = new Map<string, string>();
  private readonly openSubRlm = new Map<string, string[]>();
  private pending: Promise<unknown> = Promise.resolve();
  private readonly outputBudget: TurnOutputBudget;

  constructor(
    private readonly emitter: ExecutionEventEmitter,
    private readonly store: StepStore,
    private readonly ref: SessionRef,
    private readonly turnId: string,
    private readonly log: (message: string) => void,
    outputLimits: TurnOutputLimits = DEFAULT_TURN_OUTPUT_LIMITS,
  ) {
    this.rootStep = `${turnId}:root`;
    this.outputBudget = new TurnOutputBudget(outputLimits);
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

  chat(kind: EventKind, text: string, payload: Record<string, unknown> = {}): Promise<unknown> {
    const emitted = this.emitter.emitEvent(this.ref, this.turnId, kind, text, payload);
    this.track(emitted);
    return emitted;
  }

  passive(
    type: 'execution_started' | 'execution_completed',
    summary: Record<string, unknown> | null,
  ): Promise<unknown> {
    const emitted = this.emitter.emitPassive(this.ref, this.turnId, {
      type,
      run_id: this.turnId,
      step: null,
      summary,
    });
    this.track(emitted);
    return emitted;
  }

  handle(event: AgentEvent): void {
    if (this.closed) return;
    switch (event.type) {
      case 'status':
        void this.chat('status', event.text, { phase: event.phase ?? 'progress' });
        return;
      case 'iteration_started':
        this.iterationStep = this.step({
          type: 'llm',
          label: `agent step ${event.iteration}`,
          parent: this.rootStep,
          actor: ['agent', 'agent'],
          input: { iteration: event.iteration },
        });
        return;
      case 'token':
        void this.chat('assistant_token', event.text, { iteration: event.iteration });
        return;
      case 'reasoning':
        void this.chat('reasoning_step', event.text, { iteration: event.iteration, tools: event.toolNames });
        return;
      case 'iteration_finished':
        this.step({
          type: 'llm',
          label: `agent step ${event.iteration} finished`,
          parent: this.iterationStep ?? this.rootStep,
          actor: ['agent', 'agent'],
          output: {
            finish_reason: event.finishReason,
            input_tokens: event.inputTokens,
            output_tokens: event.outputTokens,
          },
        });
        return;
      case 'tool_call': {
        const stepId = this.step({
          type: toolStepType(event.name),
          label: event.name,
          parent: this.iterationStep ?? this.rootStep,
          actor: ['agent', 'agent'],
          input: event.args,
        });
        this.toolSteps.set(event.callId, stepId);
        void this.chat('tool_call', event.name, {
          call_id: event.callId,
          tool_name: event.name,
          arguments: event.args,
          iteration: event.iteration,
          step_id: stepId,
        });
        return;
      }
      case 'tool_result': {
        const parent = this.toolSteps.get(event.callId) ?? this.rootStep;
        this.step({
          type: toolStepType(event.name),
          label: `${event.name} result`,
          parent,
          actor: ['agent', 'agent'],
          output: { ok: event.ok, output: event.output, duration_ms: Math.round(event.durationMs) },
        });
        void this.chat('tool_result', preview(event.output, TEXT_PREVIEW), {
          call_id: event.callId,
          tool_name: event.name,
          ok: event.ok,
          output: event.output,
          duration_ms: Math.round(event.durationMs),
          iteration: event.iteration,
        });
        return;
      }
      case 'memory_update':
        this.step({
          type: 'memory',
          label: `core memory: ${event.section}`,
          parent: this.iterationStep ?? this.rootStep,
          actor: ['agent', 'agent'],
          input: { mode: event.mode },
          output: { content: event.content },
        });
        void this.chat('memory_update', event.section, {
          section: event.section,
          mode: event.mode,
          content: event.content,
        });
        return;
      case 'sandbox_output':
        this.sandboxOutput(event.text, { call_id: event.callId, stream: event.stream });
        return;
      case 'rlm':
        this.rlm(event.callId, event.event);
        return;
    }
  }

  private rlm(callId: string, event: RlmEvent): void {
    const runStep = this.runSteps.get(event.runId);
    const actor: [string, string] = [event.depth === 0 ? 'root_rlm' : 'sub_agent', event.runId];
    switch (event.type) {
      case 'run_started': {
        const parentCallback = event.parentRunId ? this.openSubRlm.get(event.parentRunId)?.at(-1) : undefined;
        const parent =
          parentCallback ??
          (event.parentRunId ? this.runSteps.get(event.parentRunId) : undefined) ??
          this.toolSteps.get(callId) ??
          this.rootStep;
        const stepId = this.step({
          type: 'repl',
          label: `RLM run (depth ${event.depth})`,
          parent,
          actor,
          depth: event.depth,
          input: { question: event.question, model: event.model },
        });
        this.runSteps.set(event.runId, stepId);
        void this.chat('rlm_executing', `RLM run ${event.runId} started at depth ${event.depth}`, {
          call_id: callId,
          run_id: event.runId,
          parent_run_id: event.parentRunId ?? null,
          depth: event.depth,
          model: event.model,
          question: event.question,
        });
        return;
      }
      case 'iteration_finished': {
        const record = event.record;
        const iterationStep = this.step({
          type: 'repl',
          label: `RLM iteration ${record.iteration}`,
          parent: runStep ?? this.rootStep,
          actor,
          depth: event.depth,
          input: { reasoning: record.reasoning },
          output: { feedback: preview(record.feedback, TEXT_PREVIEW), usage: record.lm.usage },
        });
        for (const [index, block] of record.blocks.entries()) {
          this.step({
            type: 'repl',
            label: `code block ${index + 1}`,
            parent: iterationStep,
            actor: ['sandbox', event.runId],
            depth: event.depth,
            input: { code: block.code },
            output: {
              stdout: preview(block.stdout, TEXT_PREVIEW),
              stderr: preview(block.stderr, TEXT_PREVIEW),
              error: block.error ?? null,
              final: block.final ?? null,
              duration_ms: Math.round(block.durationMs),
            },
          });
        }
        void this.chat('trajectory_step', preview(record.reasoning, TEXT_PREVIEW), {
          call_id: callId,
          run_id: event.runId,
          depth: event.depth,
          iteration: record.iteration,
          reasoning: record.reasoning,
          code: record.blocks.map((block) => block.code),
          output: record.blocks.map((block) => preview(block.stdout, TEXT_PREVIEW)),
          errors: record.blocks.flatMap((block) =>
            block.error ? [`${block.error.type}: ${block.error.message}`] : [],
          ),
          submitted: record.submit?.valid ?? false,
          llm_calls_used: event.llmCallsUsed,
          max_llm_calls: event.maxLlmCalls,
          duration_ms: Math.round(record.durationMs),
        });
        return;
      }
      case 'code_output':
        this.sandboxOutput(event.text, {
          call_id: callId,
          run_id: event.runId,
          depth: event.depth,
          stream: event.stream,
          iteration: event.iteration,
        });
        return;
      case 'callback_started': {
        const stepId = this.step({
          type: event.name.startsWith('llm_query') ? 'llm' : 'tool',
          label: event.name,
          parent: runStep ?? this.rootStep,
          actor,
          depth: event.depth,
          input: { args: event.args },
        });
        this.callbackSteps.set(event.callId, stepId);
        if (event.name.startsWith('sub_rlm'))
          this.openSubRlm.set(event.runId, [...(this.openSubRlm.get(event.runId) ?? []), stepId]);
        return;
      }
      case 'callback_finished': {
        const stepId = this.callbackSteps.get(event.record.callId);
        const open = this.openSubRlm.get(event.runId);
        if (open && stepId) open.splice(open.indexOf(stepId), 1);
        this.step({
          type: event.record.name.startsWith('llm_query') ? 'llm' : 'tool',
          label: `${event.record.name} done`,
          parent: stepId ?? runStep ?? this.rootStep,
          actor,
          depth: event.depth,
          output: {
            ok: event.record.ok,
            result: event.record.result ?? null,
            error: event.record.error ?? null,
            duration_ms: Math.round(event.record.durationMs),
            degraded: event.record.degraded ?? null,
          },
        });
        return;
      }
      case 'lm_call':
        if (event.purpose === 'rlm.iteration') return; // the iteration step carries it
        this.step({
          type: 'llm',
          label: event.purpose,
          parent: runStep ?? this.rootStep,
          actor,
          depth: event.depth,
          output: { model: event.model, usage: event.usage, latency_ms: Math.round(event.latencyMs) },
        });
        return;
      case 'run_finished':
        this.step({
          type: 'output',
          label: `RLM run ${event.termination.reason}`,
          parent: runStep ?? this.rootStep,
          actor,
          depth: event.depth,
          output: {
            termination: event.termination,
            answer: event.answer,
            usage: event.usage,
            duration_ms: Math.round(event.durationMs),
          },
        });
        return;
      case 'iteration_started':
        return;
    }
  }

  /** Live sandbox output, within the turn's budget; the frame that would pass it becomes one notice. */
  private sandboxOutput(text: string, payload: Record<string, unknown>): void {
    const verdict = this.outputBudget.take(text);
    if (verdict === 'emit') void this.chat('sandbox_output', text, payload);
    else if (verdict === 'notice')
      void this.chat('sandbox_output', this.outputBudget.notice(), {
        ...payload,
        stream: 'stderr',
        notice: 'turn_output_limit',
      });
  }

  /** Emits a passive execution_step and persists the step; returns its id. */
  step(input: {
    type: ExecutionStep['type'];
    label: string;
    parent: string;
    actor: [string, string];
    depth?: number;
    input?: unknown;
    output?: unknown;
  }): string {
    const id = `${this.turnId}:s${++this.stepCount}`;
    if (this.closed) return id;
    const depth = input.depth ?? 0;
    const now = Date.now();
    const step: ExecutionStep = {
      id,
      parent_id: input.parent,
      type: input.type,
      label: input.label,
      depth,
      actor_kind: input.actor[0],
      actor_id: input.actor[1],
      lane_key: `${input.actor[0]}:depth-${depth}`,
      input: input.input ?? null,
      output: input.output ?? null,
      timestamp: new Date(now).toISOString(),
    };
    const row: StepRow = {
      id,
      sessionId: this.ref.sessionId,
      turnId: this.turnId,
      runId: input.actor[1],
      parentId: input.parent,
      type: input.type,
      label: input.label,
      depth,
      actorKind: input.actor[0],
      actorId: input.actor[1],
      laneKey: step.lane_key,
      input: step.input,
      output: step.output,
      timestamp: now,
    };
    this.track(
      this.emitter.emitPassive(this.ref, this.turnId, {
        type: 'execution_step',
        run_id: this.turnId,
        step,
        summary: null,
      }),
    );
    this.track(this.store.appendSteps([row]));
    return id;
  }

  private track(work: Promise<unknown>): void {
    const guarded = work.catch((error: unknown) =>
      this.log(`turn ${this.turnId}: could not emit: ${String(error)}`),
    );
    this.pending = Promise.all([this.pending, guarded]);
  }
}

function toolStepType(name: string): ExecutionStep['type'] {
  if (name === 'run_python' || name === 'search_document') return 'repl';
  if (name === 'edit_core_memory') return 'memory';
  return 'tool';
}

export function newTurnId(): string {
  return randomUUID();
}

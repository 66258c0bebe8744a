/**
 * What a client of `/ws/execution` sees of a turn: the chat frame (at most one) for each thing
 * the agent reports, with the payload the contract (`contract/chat-events.ts`) gives its kind and
 * the `runtime` context every payload carries. Live sandbox output is kept within the turn's
 * output budget: the frame that would pass it becomes one notice, then nothing.
 */
import type { AgentEvent } from '../agent/agent-events.js';
import type { EventKind, PayloadInput, PayloadOf, RuntimeContext } from '../contract/chat-events.js';
import type { ExecutionMode } from '../contract/client-frames.js';
import { preview } from '../util/text.js';
import { DEFAULT_TURN_OUTPUT_LIMITS, TurnOutputBudget, type TurnOutputLimits } from './turn-output-budget.js';

const TEXT_PREVIEW = 2000;

/** The server's settings a frame's runtime context reports. */
export interface TurnRuntimeSettings {
  maxDepth: number;
  agentMaxIterations: number;
  rlmMaxIterations: number;
  sandboxProvider: string;
}

/** Who produced a frame: the chat agent (depth 0) or an RLM run at some depth. */
export type FrameSource = { rlmDepth?: number };

export type SendFrame = <K extends EventKind>(
  kind: K,
  text: string,
  payload: PayloadOf<K>,
) => Promise<unknown>;

export function runtimeContext(
  settings: TurnRuntimeSettings,
  executionMode: ExecutionMode,
  source: FrameSource,
  sandboxActive: boolean,
): RuntimeContext {
  const rlm = source.rlmDepth !== undefined;
  const depth = source.rlmDepth ?? 0;
  return {
    depth,
    max_depth: settings.maxDepth,
    execution_profile: !rlm ? 'ROOT_INTERLOCUTOR' : depth === 0 ? 'RLM_ROOT' : 'RLM_DELEGATE',
    sandbox_active: sandboxActive,
    effective_max_iters: rlm ? settings.rlmMaxIterations : settings.agentMaxIterations,
    execution_mode: executionMode,
    runtime_mode: 'fleet-rlm-ts',
    sandbox_provider: settings.sandboxProvider,
  };
}

export class ChatFrameMapper {
  private sandboxActive = false;
  private readonly outputBudget: TurnOutputBudget;

  constructor(
    private readonly send: SendFrame,
    private readonly settings: TurnRuntimeSettings,
    private readonly executionMode: ExecutionMode,
    /** The execution step a node opened (a tool call's frame names its step). */
    private readonly stepIdOf: (node: string) => string,
    outputLimits: TurnOutputLimits = DEFAULT_TURN_OUTPUT_LIMITS,
  ) {
    this.outputBudget = new TurnOutputBudget(outputLimits);
  }

  /** One frame, its runtime context added; resolves once it is delivered. */
  frame<K extends EventKind>(
    kind: K,
    text: string,
    payload: PayloadInput<K>,
    source: FrameSource = {},
  ): Promise<unknown> {
    const runtime = runtimeContext(this.settings, this.executionMode, source, this.sandboxActive);
    return this.send(kind, text, { ...payload, runtime } as PayloadOf<K>);
  }

  handle(event: AgentEvent): void {
    switch (event.type) {
      case 'status':
        this.frame('status', event.text, { phase: event.phase });
        return;
      case 'sandbox_queued':
        this.frame(
          'status',
          `Waiting for a sandbox: ${event.inUse} of ${event.cap} in use (SANDBOX_MAX_LIVE=${event.cap}); ` +
            `${ordinal(event.position)} in line`,
          {
            phase: 'queued',
            waiting_for: 'sandbox',
            position: event.position,
            in_use: event.inUse,
            cap: event.cap,
          },
        );
        return;
      case 'sandbox_leased':
        this.sandboxActive = true;
        if (event.waitedMs !== undefined) {
          const waitedMs = Math.round(event.waitedMs);
          this.frame('status', `Got a sandbox after ${(waitedMs / 1000).toFixed(1)} s`, {
            phase: 'sandbox_acquired',
            waited_ms: waitedMs,
          });
        }
        return;
      case 'token':
        this.frame('assistant_token', event.text, { iteration: event.iteration });
        return;
      case 'reasoning':
        this.frame('reasoning_step', event.text, { iteration: event.iteration, tools: event.toolNames });
        return;
      case 'tool_call':
        this.frame('tool_call', event.name, {
          call_id: event.callId,
          tool_name: event.name,
          arguments: event.args,
          tool_input: event.args,
          tool_args: event.args,
          iteration: event.iteration,
          step_id: this.stepIdOf(event.node),
        });
        return;
      case 'tool_result':
        this.frame('tool_result', preview(event.output, TEXT_PREVIEW), {
          call_id: event.callId,
          tool_name: event.name,
          ok: event.ok,
          output: event.output,
          tool_output: event.output,
          duration_ms: Math.round(event.durationMs),
          iteration: event.iteration,
        });
        return;
      case 'memory_update':
        this.frame('memory_update', event.section, {
          section: event.section,
          mode: event.mode,
          content: event.content,
        });
        return;
      case 'sandbox_output':
        this.sandboxOutput(event);
        return;
      case 'rlm_run_started':
        this.frame(
          'rlm_executing',
          `RLM run ${event.runId} started at depth ${event.depth}`,
          {
            call_id: event.callId,
            tool_name: event.startedBy,
            run_id: event.runId,
            parent_run_id: event.parentRunId,
            depth: event.depth,
            model: event.model,
            question: event.question,
          },
          { rlmDepth: event.depth },
        );
        return;
      case 'rlm_iteration_finished':
        this.trajectoryStep(event);
        return;
      default:
        return; // steps only
    }
  }

  private trajectoryStep(event: Extract<AgentEvent, { type: 'rlm_iteration_finished' }>): void {
    const { blocks } = event;
    const code = blocks.map((block) => block.code);
    const errors = blocks.flatMap((block) => (block.error ? [block.error] : []));
    const observation = blocks
      .map((block) => [block.stdout.trimEnd(), block.error].filter(Boolean).join('\n'))
      .filter(Boolean)
      .join('\n\n');
    this.frame(
      'trajectory_step',
      preview(event.reasoning, TEXT_PREVIEW),
      {
        call_id: event.callId,
        run_id: event.runId,
        depth: event.depth,
        iteration: event.iteration,
        reasoning: event.reasoning,
        code,
        output: blocks.map((block) => preview(block.stdout, TEXT_PREVIEW)),
        errors,
        submitted: event.submitted,
        llm_calls_used: event.llmCallsUsed,
        max_llm_calls: event.maxLlmCalls,
        duration_ms: Math.round(event.durationMs),
        step_index: event.iteration - 1,
        step_data: {
          index: event.iteration - 1,
          thought: event.reasoning,
          action: event.submitted
            ? 'submitted the answer'
            : blocks.length === 0
              ? 'replied without code'
              : `ran ${blocks.length} code block${blocks.length === 1 ? '' : 's'}`,
          tool_name: 'repl',
          tool_input: code.join('\n\n'),
          observation: preview(observation, TEXT_PREVIEW),
        },
      },
      { rlmDepth: event.depth },
    );
  }

  /** Live sandbox output, within the turn's budget. */
  private sandboxOutput(event: Extract<AgentEvent, { type: 'sandbox_output' }>): void {
    const verdict = this.outputBudget.take(event.text);
    if (verdict === 'drop') return;
    const { run } = event;
    const source = run ? { rlmDepth: run.depth } : {};
    const where = {
      phase: 'sandbox_output' as const,
      call_id: event.callId,
      ...(run ? { run_id: run.runId, depth: run.depth, iteration: run.iteration } : {}),
    };
    if (verdict === 'emit') {
      this.frame('status', event.text, { ...where, stream_text: event.text, stream: event.stream }, source);
      return;
    }
    const notice = this.outputBudget.notice();
    this.frame(
      'status',
      notice,
      { ...where, stream_text: notice, stream: 'stderr', notice: 'turn_output_limit' },
      source,
    );
  }
}

/** 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, 21st. */
function ordinal(position: number): string {
  const suffixes: Record<string, string> = { one: 'st', two: 'nd', few: 'rd', other: 'th' };
  return `${position}${suffixes[new Intl.PluralRules('en', { type: 'ordinal' }).select(position)] ?? 'th'}`;
}

/**
 * A turn's execution tree as steps on `/ws/execution/events`: one step (a frame and a persisted
 * row) for each node the agent opens, closes or notes. The producers say where every event sits
 * (its node and parent keys, see `agent/agent-events.ts`), the way spans take their parent from
 * the context they run in; this only gives each node a step id, a type, a label and the
 * input/output worth showing. A node is opened before anything inside it is reported, so each
 * step's parent has been announced before the step.
 */
import { type Actor, type AgentEvent, TURN_NODE } from '../agent/agent-events.js';
import type { ExecutionStep, StepType } from '../contract/passive-frames.js';
import type { StepRow } from '../store/store.js';
import { preview } from '../util/text.js';

const TEXT_PREVIEW = 2000;
const AGENT: Actor = { kind: 'agent', id: 'agent' };

interface StepSpec {
  type: StepType;
  label: string;
  actor: Actor;
  depth?: number;
  input?: unknown;
  output?: unknown;
}

export interface BuiltStep {
  step: ExecutionStep;
  row: StepRow;
}

export class StepBuilder {
  readonly rootId: string;
  private count = 0;
  /** Node key -> the step that opened it. */
  private readonly nodes = new Map<string, string>();

  constructor(
    private readonly turnId: string,
    private readonly sessionId: string,
  ) {
    this.rootId = `${turnId}:root`;
    this.nodes.set(TURN_NODE, this.rootId);
  }

  /** The step id of a node (the turn's root for a node never opened). */
  idOf(node: string): string {
    return this.nodes.get(node) ?? this.rootId;
  }

  /** The step `event` makes, if it makes one. */
  stepFor(event: AgentEvent): BuiltStep | undefined {
    return this.agentStep(event) ?? this.rlmStep(event);
  }

  /** The chat agent's own steps: its ReAct iterations, tool calls, memory edits. */
  private agentStep(event: AgentEvent): BuiltStep | undefined {
    switch (event.type) {
      case 'iteration_started':
        return this.open(event.node, event.parent, {
          type: 'llm',
          label: `agent step ${event.iteration}`,
          actor: AGENT,
          input: { iteration: event.iteration },
        });
      case 'iteration_finished':
        return this.close(event.node, {
          type: 'llm',
          label: `agent step ${event.iteration} finished`,
          actor: AGENT,
          output: {
            finish_reason: event.finishReason,
            input_tokens: event.usage.inputTokens,
            output_tokens: event.usage.outputTokens,
          },
        });
      case 'tool_call':
        return this.open(event.node, event.parent, {
          type: toolStepType(event.name),
          label: event.name,
          actor: AGENT,
          input: event.args,
        });
      case 'tool_result':
        return this.close(event.node, {
          type: toolStepType(event.name),
          label: `${event.name} result`,
          actor: AGENT,
          output: { ok: event.ok, output: event.output, duration_ms: Math.round(event.durationMs) },
        });
      case 'memory_update':
        return this.leaf(event.parent, {
          type: 'memory',
          label: `core memory: ${event.section}`,
          actor: AGENT,
          input: { mode: event.mode },
          output: { content: event.content },
        });
      default:
        return undefined;
    }
  }

  /** What a delegated RLM tree does: runs, iterations, code blocks, host callbacks, model calls. */
  private rlmStep(event: AgentEvent): BuiltStep | undefined {
    switch (event.type) {
      case 'rlm_run_started':
        return this.open(event.node, event.parent, {
          type: 'repl',
          label: `RLM run (depth ${event.depth})`,
          actor: event.actor,
          depth: event.depth,
          input: { question: event.question, model: event.model },
        });
      case 'rlm_iteration_started':
        return this.open(event.node, event.parent, {
          type: 'repl',
          label: `RLM iteration ${event.iteration}`,
          actor: event.actor,
          depth: event.depth,
          input: { iteration: event.iteration },
        });
      case 'code_block_started':
        return this.open(event.node, event.parent, {
          type: 'repl',
          label: `code block ${event.index}`,
          actor: event.actor,
          depth: event.depth,
          input: { code: event.code },
        });
      case 'code_block_finished':
        return this.close(event.node, {
          type: 'repl',
          label: `code block ${event.index} done`,
          actor: event.actor,
          depth: event.depth,
          output: {
            stdout: preview(event.stdout, TEXT_PREVIEW),
            stderr: preview(event.stderr, TEXT_PREVIEW),
            error: event.error,
            final: event.submitted,
            duration_ms: Math.round(event.durationMs),
          },
        });
      case 'host_call_started':
        return this.open(event.node, event.parent, {
          type: callbackStepType(event.name),
          label: event.name,
          actor: event.actor,
          depth: event.depth,
          input: { args: event.args },
        });
      case 'host_call_finished':
        return this.close(event.node, {
          type: callbackStepType(event.name),
          label: `${event.name} done`,
          actor: event.actor,
          depth: event.depth,
          output: {
            ok: event.ok,
            result: event.result,
            error: event.error,
            duration_ms: Math.round(event.durationMs),
            degraded: event.degraded,
          },
        });
      case 'sub_lm_call':
        return this.leaf(event.parent, {
          type: 'llm',
          label: `lm.${event.purpose}`,
          actor: event.actor,
          depth: event.depth,
          output: { model: event.model, usage: event.usage, latency_ms: Math.round(event.latencyMs) },
        });
      case 'rlm_iteration_finished':
        return this.close(event.node, {
          type: 'repl',
          label: `RLM iteration ${event.iteration} done`,
          actor: event.actor,
          depth: event.depth,
          output: {
            reasoning: event.reasoning,
            feedback: preview(event.feedback, TEXT_PREVIEW),
            usage: event.usage,
          },
        });
      case 'rlm_run_finished':
        return this.close(event.node, {
          type: 'output',
          label: `RLM run ${event.termination.reason}`,
          actor: event.actor,
          depth: event.depth,
          output: {
            termination: event.termination,
            answer: event.answer,
            usage: event.usage,
            duration_ms: Math.round(event.durationMs),
          },
        });
      default:
        return undefined;
    }
  }

  /** A step that other steps hang under. */
  private open(node: string, parent: string, spec: StepSpec): BuiltStep {
    const built = this.make(this.idOf(parent), spec);
    this.nodes.set(node, built.step.id);
    return built;
  }

  /** The outcome of a node, as a step under it. */
  private close(node: string, spec: StepSpec): BuiltStep {
    return this.make(this.idOf(node), spec);
  }

  private leaf(parent: string, spec: StepSpec): BuiltStep {
    return this.make(this.idOf(parent), spec);
  }

  private make(parentId: string, spec: StepSpec): BuiltStep {
    const id = `${this.turnId}:s${++this.count}`;
    const depth = spec.depth ?? 0;
    const now = Date.now();
    const step: ExecutionStep = {
      id,
      parent_id: parentId,
      type: spec.type,
      label: spec.label,
      depth,
      actor_kind: spec.actor.kind,
      actor_id: spec.actor.id,
      lane_key: `${spec.actor.kind}:depth-${depth}`,
      input: spec.input ?? null,
      output: spec.output ?? null,
      timestamp: new Date(now).toISOString(),
    };
    const row: StepRow = {
      id,
      sessionId: this.sessionId,
      turnId: this.turnId,
      runId: spec.actor.id,
      parentId,
      type: spec.type,
      label: spec.label,
      depth,
      actorKind: spec.actor.kind,
      actorId: spec.actor.id,
      laneKey: step.lane_key,
      input: step.input,
      output: step.output,
      timestamp: now,
    };
    return { step, row };
  }
}

function toolStepType(name: string): StepType {
  if (name === 'run_python' || name === 'search_document') return 'repl';
  if (name === 'edit_core_memory') return 'memory';
  return 'tool';
}

function callbackStepType(name: string): StepType {
  return name.startsWith('llm_query') ? 'llm' : 'tool';
}

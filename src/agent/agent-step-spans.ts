/**
 * The agent's side of the trace: one CHAIN span per ReAct step (thought, action, observation),
 * with the step's LM call and its tool calls nested inside. The AI SDK runs a multi-step call
 * from its own stream callbacks, so the open step is held here and handed out explicitly: the
 * LM middleware reads it through the LM scope, the wrapped tools through `parentContext()`.
 */
import { type Context, context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { LmScope } from '../lm/traced-model.js';
import { markError, setOutputs, startSpan, withSpan } from '../tracing/span-helpers.js';
import type { Usage } from '../util/usage.js';
import { type AgentToolSet, renderToolResult, type ToolResult } from './tools/tool-result.js';

export class AgentStepSpans {
  private readonly root: Context = context.active();
  private readonly open = new Map<number, Span>();
  /** The LM scope for the streamed call: its parent moves to each new step. */
  readonly lmScope: LmScope & { parent: { context: Context } };

  /** `onUsage` receives each model call of the streamed call, priced. */
  constructor(onUsage: (usage: Usage) => void) {
    this.lmScope = { purpose: 'agent.step', parent: { context: this.root }, onUsage };
  }

  /** Called by `prepareStep` just before the step's model call. */
  begin(iteration: number): void {
    const span = startSpan('agent.iteration', 'CHAIN', {
      inputs: { iteration },
      attributes: { 'fleet_rlm.agent.iteration': iteration },
    });
    this.open.set(iteration, span);
    this.lmScope.parent.context = trace.setSpan(this.root, span);
  }

  finish(iteration: number, outputs: { finish_reason: string; text: string; tools: string[] }): void {
    const span = this.open.get(iteration);
    if (!span) return;
    setOutputs(span, outputs);
    span.setStatus({ code: SpanStatusCode.OK });
    span.end();
    this.open.delete(iteration);
  }

  /** Ends what is still open (the call failed or was cancelled mid-step). */
  abandon(error?: unknown): void {
    for (const span of this.open.values()) {
      if (error !== undefined) markError(span, error);
      span.end();
    }
    this.open.clear();
  }

  parentContext(): Context {
    return this.lmScope.parent.context;
  }

  /**
   * The same tools, each call wrapped in a TOOL span under the step that made it; a call that
   * returned a failure marks its span as an error.
   */
  traceTools<T extends AgentToolSet | undefined>(tools: T): T {
    if (!tools) return tools;
    const traced: AgentToolSet = {};
    for (const [name, tool] of Object.entries(tools)) {
      const execute = tool.execute;
      if (!execute) {
        traced[name] = tool;
        continue;
      }
      traced[name] = {
        ...tool,
        execute: (input: unknown, options: Parameters<typeof execute>[1]) =>
          context.with(this.parentContext(), () =>
            withSpan(
              name,
              'TOOL',
              { inputs: input, attributes: { 'fleet_rlm.tool_call_id': options.toolCallId } },
              async (span) => {
                const result = (await execute(input as never, options)) as ToolResult;
                setOutputs(span, result.ok ? result.output : renderToolResult(result));
                if (!result.ok) markError(span, new Error(result.error));
                return result;
              },
            ),
          ),
      } as AgentToolSet[string];
    }
    return traced as T;
  }
}

/**
 * One RLM run (the root, or a child started by `sub_rlm`): bind the inputs as REPL variables,
 * then loop — ask the model, run its code blocks, feed the output back — until a valid SUBMIT
 * or a stop (budget, timeout, cancel, failure), and always return the best answer it has.
 */
import type { z } from 'zod';
import type { LmClient, LmMessage, LmResponse, ModelRole } from '../lm/lm-client.js';
import type { Sandbox, VariableValue } from '../sandbox/sandbox.js';
import { markError, setOutputs, withSpan } from '../tracing/span-helpers.js';
import { errorMessage, preview } from '../util/text.js';
import { addUsage, type Usage, ZERO_USAGE } from '../util/usage.js';
import { extractOutputs } from './extract.js';
import { type CallbackHost, runHostCall } from './host-callbacks.js';
import { answerText, DEFAULT_OUTPUT_SCHEMA, describeFields } from './output-schema.js';
import { firstMessage, systemPrompt } from './prompts.js';
import type {
  HostTool,
  IterationRecord,
  RlmResult,
  SandboxSource,
  Termination,
  Trajectory,
} from './rlm-types.js';
import { type ReplyContext, runReply } from './run-reply.js';
import type { RunTree } from './run-tree.js';
import { describeVariable } from './variables.js';

export interface RunSpec {
  tree: RunTree;
  lm: LmClient;
  sandbox: Sandbox;
  pool?: SandboxSource;
  tools: Map<string, HostTool>;
  role: ModelRole;
  depth: number;
  parentRunId?: string;
  /** For a child run: the callback that started it. */
  parentCall?: { callId: string; name: string };
  contextName: string;
  inputs: Record<string, VariableValue> & { question: string };
  outputSchema?: z.ZodObject;
  /** The tree's signal, narrowed for a child to its parent's call. */
  signal: AbortSignal;
}

export class RlmRun {
  readonly runId: string;
  private readonly schema: z.ZodObject;
  private usage: Usage = ZERO_USAGE;
  private readonly trajectory: Trajectory;
  private lastSubmit?: Record<string, unknown>;
  private lastOutput?: string;
  private children = 0;

  constructor(private readonly spec: RunSpec) {
    this.runId = spec.tree.newRunId();
    this.schema = spec.outputSchema ?? DEFAULT_OUTPUT_SCHEMA;
    this.trajectory = {
      runId: this.runId,
      ...(spec.parentRunId ? { parentRunId: spec.parentRunId } : {}),
      depth: spec.depth,
      role: spec.role,
      model: spec.lm.resolve(spec.role)?.model ?? '(not configured)',
      question: preview(spec.inputs.question, 2000),
      iterations: [],
    };
  }

  /** The run inside its span (AGENT), nested under the callback or tool call that started it. */
  execute(): Promise<RlmResult> {
    const { depth, role } = this.spec;
    return withSpan(
      depth === 0 ? 'RLM.run' : `RLM.run depth=${depth}`,
      'AGENT',
      {
        inputs: { question: this.spec.inputs.question },
        attributes: {
          'fleet_rlm.rlm.run_id': this.runId,
          'fleet_rlm.rlm.depth': depth,
          'fleet_rlm.model_role': role,
          ...(this.spec.parentRunId ? { 'fleet_rlm.rlm.parent_run_id': this.spec.parentRunId } : {}),
        },
      },
      async (span) => {
        const result = await this.run();
        setOutputs(span, { answer: result.answer, status: result.status, termination: result.termination });
        if (result.status !== 'completed') markError(span, new Error(result.termination.detail));
        return result;
      },
    );
  }

  private async run(): Promise<RlmResult> {
    const { tree, depth } = this.spec;
    const started = performance.now();
    const ref = { runId: this.runId, depth };
    tree.emit({
      type: 'run_started',
      ...ref,
      parentRunId: this.spec.parentRunId,
      ...(this.spec.parentCall ? { parentCall: this.spec.parentCall } : {}),
      role: this.spec.role,
      model: this.trajectory.model,
      question: this.trajectory.question,
    });
    const fields = describeFields(this.schema);
    const budgets = tree.budgets;
    const messages: LmMessage[] = [
      {
        role: 'system',
        content: systemPrompt({
          fields,
          depth,
          maxDepth: budgets.maxDepth,
          maxIterations: budgets.maxIterations,
          maxLlmCalls: budgets.maxLlmCalls,
          tools: [...this.spec.tools.values()],
        }),
      },
      {
        role: 'user',
        content: firstMessage(
          this.spec.inputs.question,
          Object.entries(this.spec.inputs).map(([name, value]) => describeVariable(name, value)),
          budgets.maxIterations,
        ),
      },
    ];
    let termination: Termination | undefined;
    let outputs: Record<string, unknown> | undefined;
    try {
      await this.bindInputs();
    } catch (error) {
      termination = {
        reason: 'sandbox_error',
        detail: `could not load the inputs into the sandbox: ${errorMessage(error)}`,
      };
    }
    for (let iteration = 1; !termination; iteration++) {
      termination = this.stopBefore(iteration);
      if (termination) break;
      if (depth > 0 && !tree.chargeLlmCalls(1).ok) {
        termination = tree.stopReason() ?? {
          reason: 'max_llm_calls',
          detail: 'no sub-model calls left for this child run',
        };
        break;
      }
      const step = await withSpan(
        'RLM.iteration',
        'CHAIN',
        { inputs: { iteration }, attributes: { 'fleet_rlm.rlm.iteration': iteration } },
        async (span) => {
          const outcome = await this.iterate(iteration, messages);
          setOutputs(
            span,
            outcome.record ? { feedback: outcome.record.feedback } : { stop: outcome.termination },
          );
          // An iteration that ends the run other than by SUBMIT (a failed model call, a dead
          // sandbox, a budget) failed; its span says so, beside the LM or sandbox span that shows why.
          const stop = outcome.termination;
          if (stop && stop.reason !== 'submitted')
            markError(span, new Error(`${stop.reason}: ${stop.detail}`));
          return outcome;
        },
      );
      termination = step.termination;
      if (step.outputs) outputs = step.outputs;
    }
    outputs ??= await this.partialOutputs(termination, fields);
    this.trajectory.termination = termination;
    const durationMs = performance.now() - started;
    const answer = answerText(outputs);
    tree.emit({
      type: 'run_finished',
      ...ref,
      termination,
      answer: preview(answer, 500),
      usage: this.usage,
      durationMs,
    });
    return {
      runId: this.runId,
      answer,
      outputs,
      status: termination.reason === 'submitted' ? 'completed' : 'partial',
      termination,
      usage: this.usage,
      llmCallsUsed: tree.llmCallsUsed,
      iterations: this.trajectory.iterations.length,
      depth,
      durationMs,
      trajectory: this.trajectory,
    };
  }

  /** One iteration: ask the model, run its reply; says whether (and why) the run stops. */
  private async iterate(
    iteration: number,
    messages: LmMessage[],
  ): Promise<{ termination?: Termination; outputs?: Record<string, unknown>; record?: IterationRecord }> {
    const { tree } = this.spec;
    const budgets = tree.budgets;
    const ref = { runId: this.runId, depth: this.spec.depth };
    tree.emit({ type: 'iteration_started', ...ref, iteration, maxIterations: budgets.maxIterations });
    const iterationStarted = performance.now();
    let response: LmResponse;
    try {
      response = await this.spec.lm.generate({
        role: this.spec.role,
        messages,
        signal: this.spec.signal,
        timeoutMs: budgets.lmTimeoutMs,
        purpose: 'rlm.iteration',
      });
    } catch (error) {
      return {
        termination: this.stopBefore(iteration) ?? { reason: 'lm_error', detail: errorMessage(error) },
      };
    }
    this.onLmResponse(response, 'rlm.iteration');
    const record: IterationRecord = {
      iteration,
      startedAt: new Date().toISOString(),
      durationMs: 0,
      reasoning: '',
      response: response.text,
      lm: {
        model: response.model,
        role: response.role,
        latencyMs: response.latencyMs,
        usage: response.usage,
      },
      blocks: [],
      feedback: '',
    };
    const outcome = await runReply(this.replyContext(), record);
    if (outcome.lastSubmit) this.lastSubmit = outcome.lastSubmit;
    if (outcome.lastOutput) this.lastOutput = outcome.lastOutput;
    record.feedback = outcome.feedback;
    record.durationMs = performance.now() - iterationStarted;
    this.trajectory.iterations.push(record);
    tree.emit({
      type: 'iteration_finished',
      ...ref,
      record,
      llmCallsUsed: tree.llmCallsUsed,
      maxLlmCalls: budgets.maxLlmCalls,
    });
    messages.push({ role: 'assistant', content: response.text }, { role: 'user', content: outcome.feedback });
    if (outcome.outputs) {
      return {
        outputs: outcome.outputs,
        termination: { reason: 'submitted', detail: `SUBMIT accepted on turn ${iteration}` },
        record,
      };
    }
    if (outcome.sandboxFailure) {
      return { termination: { reason: 'sandbox_error', detail: outcome.sandboxFailure }, record };
    }
    return { record };
  }

  private async bindInputs(): Promise<void> {
    for (const [name, value] of Object.entries(this.spec.inputs)) {
      await this.spec.sandbox.setVariable(this.spec.contextName, name, value);
    }
  }

  private stopBefore(iteration: number): Termination | undefined {
    const treeStop = this.spec.tree.stopReason();
    if (treeStop) return treeStop;
    if (this.spec.signal.aborted) return { reason: 'cancelled', detail: "the parent's code was interrupted" };
    const max = this.spec.tree.budgets.maxIterations;
    if (iteration > max) {
      return { reason: 'max_iterations', detail: `no SUBMIT after ${max} turns`, limit: max, used: max };
    }
    return undefined;
  }

  private replyContext(): ReplyContext {
    return {
      runId: this.runId,
      depth: this.spec.depth,
      sandbox: this.spec.sandbox,
      contextName: this.spec.contextName,
      schema: this.schema,
      tree: this.spec.tree,
      signal: this.spec.signal,
      onCall: (call, signal, block, position) =>
        runHostCall(this.callbackHost(), call, signal, block, position),
      bindInputs: () => this.bindInputs(),
    };
  }

  private host?: CallbackHost;

  private callbackHost(): CallbackHost {
    this.host ??= {
      tree: this.spec.tree,
      lm: this.spec.lm,
      runId: this.runId,
      depth: this.spec.depth,
      sandbox: this.spec.sandbox,
      pool: this.spec.pool,
      tools: this.spec.tools,
      runChild: (prompt, context, sandbox, signal, parentCall) =>
        this.runChild(prompt, context, sandbox, signal, parentCall),
      onLmResponse: (response, purpose, callId) => this.onLmResponse(response, purpose, callId),
    };
    return this.host;
  }

  private async runChild(
    prompt: string,
    context: VariableValue,
    sandbox: Sandbox,
    signal: AbortSignal,
    parentCall: { callId: string; name: string },
  ): Promise<RlmResult> {
    const contextName = `${this.spec.contextName}.${++this.children}`;
    const child = new RlmRun({
      ...this.spec,
      sandbox,
      role: 'delegate',
      depth: this.spec.depth + 1,
      parentRunId: this.runId,
      parentCall,
      contextName,
      inputs: { question: prompt, context },
      outputSchema: undefined,
      signal: AbortSignal.any([this.spec.signal, signal]),
    });
    try {
      const result = await child.execute();
      this.usage = addUsage(this.usage, result.usage);
      return result;
    } finally {
      await sandbox.reset(contextName).catch(() => {});
    }
  }

  private onLmResponse(response: LmResponse, purpose: string, callId?: string): void {
    this.usage = addUsage(this.usage, response.usage);
    this.spec.tree.recordUsage(response.usage);
    this.spec.tree.emit({
      type: 'lm_call',
      runId: this.runId,
      depth: this.spec.depth,
      purpose,
      model: response.model,
      role: response.role,
      latencyMs: response.latencyMs,
      usage: response.usage,
      llmCallsUsed: this.spec.tree.llmCallsUsed,
      ...(callId ? { callId } : {}),
    });
  }

  /** The best answer without a valid SUBMIT: one extract call where the budget allows it. */
  private async partialOutputs(
    termination: Termination,
    fields: ReturnType<typeof describeFields>,
  ): Promise<Record<string, unknown>> {
    const fallback = this.lastSubmit ?? {
      answer: this.lastOutput?.trim() ?? this.trajectory.iterations.at(-1)?.reasoning ?? '',
    };
    const noExtract = ['max_tokens', 'max_cost', 'cancelled', 'lm_error'].includes(termination.reason);
    if (
      noExtract ||
      this.trajectory.iterations.length === 0 ||
      (this.spec.signal.aborted && termination.reason !== 'timeout')
    ) {
      return fallback;
    }
    const extracted = await extractOutputs({
      lm: this.spec.lm,
      role: this.spec.role,
      schema: this.schema,
      fields,
      question: this.spec.inputs.question,
      termination,
      iterations: this.trajectory.iterations,
      userSignal: this.spec.tree.userSignal,
      timeoutMs: Math.min(this.spec.tree.budgets.lmTimeoutMs, 30_000),
      onResponse: (response) => this.onLmResponse(response, 'rlm.extract'),
    });
    this.trajectory.extract = extracted.record;
    return extracted.outputs ?? fallback;
  }
}

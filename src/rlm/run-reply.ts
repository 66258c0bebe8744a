/**
 * Runs one model reply: parses it into code blocks, executes them in the run's namespace, checks
 * SUBMIT against the output schema, and builds the feedback the model sees next.
 */
import { context, type Span } from '@opentelemetry/api';
import type { z } from 'zod';
import type { ExecuteResult, HostCall, Sandbox } from '../sandbox/sandbox.js';
import { markError, setOutputs, withSpan } from '../tracing/span-helpers.js';
import { errorMessage } from '../util/text.js';
import { parseReply } from './code-blocks.js';
import { checkSubmit } from './output-schema.js';
import { type BlockFeedback, feedbackMessage, noCodeReminder } from './prompts.js';
import type { BlockPosition, BlockRecord, IterationRecord } from './rlm-types.js';
import type { RunTree } from './run-tree.js';

export interface ReplyContext {
  runId: string;
  depth: number;
  sandbox: Sandbox;
  contextName: string;
  schema: z.ZodObject;
  tree: RunTree;
  signal: AbortSignal;
  onCall(call: HostCall, signal: AbortSignal, block: BlockRecord, position: BlockPosition): Promise<unknown>;
  /** Loads the run's inputs again after the sandbox lost its state. */
  bindInputs(): Promise<void>;
}

export interface ReplyOutcome {
  feedback: string;
  /** Valid SUBMIT outputs: the run is done. */
  outputs?: Record<string, unknown>;
  sandboxFailure?: string;
  lastSubmit?: Record<string, unknown>;
  lastOutput?: string;
}

/** Runs the reply's code blocks in order; stops at the first error, SUBMIT or interrupt. */
export async function runReply(run: ReplyContext, record: IterationRecord): Promise<ReplyOutcome> {
  const parsed = parseReply(record.response);
  record.reasoning = parsed.reasoning;
  if (parsed.blocks.length === 0) return { feedback: noCodeReminder(parsed.unclosed) };
  const feedback: BlockFeedback[] = [];
  const notes: string[] = [];
  let outputs: Record<string, unknown> | undefined;
  let sandboxFailure: string | undefined;
  let lastSubmit: Record<string, unknown> | undefined;
  let lastOutput: string | undefined;
  for (const [index, code] of parsed.blocks.entries()) {
    const block: BlockRecord = { code, stdout: '', stderr: '', durationMs: 0, callbacks: [] };
    record.blocks.push(block);
    const position: BlockPosition = { iteration: record.iteration, block: index + 1 };
    const ref = { runId: run.runId, depth: run.depth, ...position };
    run.tree.emit({ type: 'block_started', ...ref, code });
    let result: ExecuteResult;
    try {
      result = await withSpan('sandbox.execute', 'TOOL', { inputs: { code } }, async (span) => {
        // Host calls arrive from the sandbox's message loop, whose async context is not this
        // one: they are run in the execution's context so their spans nest under it.
        const executing = context.active();
        const executed = await run.sandbox.execute({
          context: run.contextName,
          code,
          maxOutputChars: run.tree.budgets.maxOutputChars,
          outputFields: Object.keys(run.schema.shape),
          timeoutMs: run.tree.budgets.executeTimeoutMs,
          signal: run.signal,
          onCall: (call, signal) => context.with(executing, () => run.onCall(call, signal, block, position)),
          onOutput: (chunk) =>
            run.tree.emit({
              type: 'code_output',
              runId: run.runId,
              depth: run.depth,
              iteration: record.iteration,
              stream: chunk.stream,
              text: chunk.text,
            }),
        });
        setExecuteOutputs(span, executed);
        return executed;
      });
    } catch (error) {
      sandboxFailure = `the sandbox failed: ${errorMessage(error)}`;
      run.tree.emit({ type: 'block_finished', ...ref, record: block, sandboxFailure });
      break;
    }
    Object.assign(block, {
      stdout: result.stdout,
      stderr: result.stderr,
      durationMs: result.durationMs,
      ...(result.error ? { error: result.error } : {}),
      ...(result.final ? { final: result.final } : {}),
      ...(result.interrupted ? { interrupted: result.interrupted } : {}),
      ...(result.stateLost ? { stateLost: true } : {}),
    });
    run.tree.emit({ type: 'block_finished', ...ref, record: block });
    const item: BlockFeedback = {
      stdout: result.stdout,
      stderr: result.stderr,
      stdoutChars: result.stdoutChars,
      error: result.error,
    };
    feedback.push(item);
    if (result.stdout.trim()) lastOutput = result.stdout;
    if (result.stateLost) {
      try {
        await run.bindInputs();
        item.note =
          'The sandbox had to be restarted: every variable was lost. The input variables were loaded again.';
      } catch (error) {
        sandboxFailure = `the sandbox restarted and the inputs could not be reloaded: ${errorMessage(error)}`;
        break;
      }
    }
    if (result.final) {
      lastSubmit = result.final;
      const check = checkSubmit(run.schema, result.final);
      record.submit = check.ok
        ? { payload: result.final, valid: true }
        : { payload: result.final, valid: false, errors: check.errors };
      if (check.ok) {
        outputs = check.outputs;
        break;
      }
      item.note = check.feedback;
    }
    const skipped = parsed.blocks.length - index - 1;
    if ((result.error || result.final || result.interrupted) && skipped > 0) {
      notes.push(`${skipped} later code block(s) in your reply were not run.`);
      break;
    }
  }
  const tree = run.tree;
  return {
    feedback: feedbackMessage({
      blocks: feedback,
      iteration: record.iteration,
      maxIterations: tree.budgets.maxIterations,
      llmCallsLeft: tree.llmCallsLeft,
      notes,
    }),
    ...(outputs ? { outputs } : {}),
    ...(sandboxFailure ? { sandboxFailure } : {}),
    ...(lastSubmit ? { lastSubmit } : {}),
    ...(lastOutput ? { lastOutput } : {}),
  };
}

function setExecuteOutputs(span: Span, result: ExecuteResult): void {
  setOutputs(span, {
    stdout: result.stdout,
    stderr: result.stderr,
    duration_ms: Math.round(result.durationMs),
    ...(result.final ? { submit: result.final } : {}),
    ...(result.interrupted ? { interrupted: result.interrupted } : {}),
    ...(result.error ? { error: result.error } : {}),
  });
  if (result.error) markError(span, new Error(`${result.error.type}: ${result.error.message}`));
}

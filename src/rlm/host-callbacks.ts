/**
 * The host side of the REPL primitives: what happens when model code calls `llm_query`,
 * `llm_query_batched`, `sub_rlm`, `sub_rlm_batched` or a host tool. Each call is charged to the
 * tree's budget, traced as a span, recorded in the trajectory and announced as events.
 */

import { FleetError } from '../contract/fleet-error.js';
import type { LmClient, LmResponse } from '../lm/lm-client.js';
import type { HostCall, Sandbox, VariableValue } from '../sandbox/sandbox.js';
import { setOutputs, withSpan } from '../tracing/span-helpers.js';
import { mapSettled } from '../util/concurrency.js';
import { errorMessage, preview } from '../util/text.js';
import { answerText } from './partial-answer.js';
import type {
  BlockPosition,
  BlockRecord,
  CallbackRecord,
  HostTool,
  RlmResult,
  SandboxSource,
} from './rlm-types.js';
import type { RunTree } from './run-tree.js';

/** An error model code sees as `CallError` with this kind; it goes back to the sandbox, not to a client. */
export class RlmCallError extends FleetError<'internal_error'> {
  static override readonly errorName = 'RlmCallError';

  constructor(
    readonly kind: string,
    message: string,
  ) {
    super('internal_error', message);
  }
}

export interface CallbackHost {
  tree: RunTree;
  lm: LmClient;
  runId: string;
  depth: number;
  sandbox: Sandbox;
  pool?: SandboxSource;
  tools: Map<string, HostTool>;
  /** Runs a child RLM in `sandbox` (the caller's own, or one lent by the pool) for the callback `parentCall`. */
  runChild(
    prompt: string,
    context: VariableValue,
    sandbox: Sandbox,
    signal: AbortSignal,
    parentCall: { callId: string; name: string },
  ): Promise<RlmResult>;
  /** `callId`: the callback that made the model call. */
  onLmResponse(response: LmResponse, purpose: string, callId?: string): void;
}

const DEGRADED_CONTEXT_CHARS = 200_000;

const ARGS_PREVIEW = 300;

/**
 * One call from model code, whole: its TOOL span, its trajectory record (pushed onto the block
 * that made it) and its `callback_started` / `callback_finished` events around the handling.
 */
export async function runHostCall(
  host: CallbackHost,
  call: HostCall,
  signal: AbortSignal,
  block: BlockRecord,
  position: BlockPosition,
): Promise<unknown> {
  const record: CallbackRecord = {
    callId: call.callId,
    name: call.name,
    args: preview(JSON.stringify(call.args), ARGS_PREVIEW),
    startedAt: new Date().toISOString(),
    durationMs: 0,
    ok: false,
    ...(call.name.endsWith('_batched') ? { items: [] } : {}),
    ...(call.name.startsWith('sub_rlm') ? { children: [] } : {}),
  };
  const ref = { runId: host.runId, depth: host.depth };
  host.tree.emit({
    type: 'callback_started',
    ...ref,
    ...position,
    callId: call.callId,
    name: call.name,
    args: record.args,
  });
  const started = performance.now();
  try {
    const result = await withSpan(
      call.name,
      'TOOL',
      { inputs: call.args, attributes: { 'fleet_rlm.callback_id': call.callId } },
      async (span) => {
        const value = await handleHostCall(host, call, signal, record);
        setOutputs(span, value);
        return value;
      },
    );
    record.ok = true;
    record.result = preview(typeof result === 'string' ? result : JSON.stringify(result), ARGS_PREVIEW);
    return result;
  } catch (error) {
    record.error = errorMessage(error);
    throw error;
  } finally {
    record.durationMs = performance.now() - started;
    block.callbacks.push(record);
    host.tree.emit({ type: 'callback_finished', ...ref, record });
  }
}

async function handleHostCall(
  host: CallbackHost,
  call: HostCall,
  signal: AbortSignal,
  record: CallbackRecord,
): Promise<unknown> {
  const args = call.args;
  switch (call.name) {
    case 'llm_query':
      return subQuery(host, call.callId, String(args.prompt ?? ''), signal);
    case 'llm_query_batched': {
      const prompts = (args.prompts as string[]) ?? [];
      charge(host, prompts.length);
      const settled = await mapSettled(prompts, host.tree.budgets.batchConcurrency, async (prompt, index) => {
        const started = performance.now();
        try {
          const text = await withSpan(
            `llm_query_batched[${index}]`,
            'LLM',
            { inputs: { prompt }, attributes: { 'fleet_rlm.batch_index': index } },
            async (span) => {
              const answer = await subQuery(host, call.callId, prompt, signal, false);
              setOutputs(span, answer);
              return answer;
            },
          );
          record.items?.push({ ok: true, durationMs: performance.now() - started });
          return text;
        } catch (error) {
          record.items?.push({
            ok: false,
            durationMs: performance.now() - started,
            error: errorMessage(error),
          });
          throw error;
        }
      });
      return settled.map((item) => (item.ok ? item.value : `[ERROR] ${errorMessage(item.error)}`));
    }
    case 'sub_rlm': {
      const prompt = String(args.prompt ?? '');
      const context = (args.context ?? '') as VariableValue;
      if (host.depth >= host.tree.budgets.maxDepth) {
        record.degraded = 'max_depth';
        return subQuery(host, call.callId, degradedPrompt(prompt, context), signal);
      }
      const child = await host.runChild(prompt, context, host.sandbox, signal, {
        callId: call.callId,
        name: call.name,
      });
      record.children?.push(child.trajectory);
      return childAnswer(child);
    }
    case 'sub_rlm_batched':
      return subRlmBatched(
        host,
        (args.prompts as string[]) ?? [],
        (args.context ?? '') as VariableValue,
        signal,
        record,
      );
    default: {
      const tool = host.tools.get(call.name);
      if (!tool) throw new RlmCallError('unknown_tool', `${call.name}() is not a host tool here`);
      return tool.run(args, signal);
    }
  }
}

function charge(host: CallbackHost, count: number): void {
  const charged = host.tree.chargeLlmCalls(count);
  if (!charged.ok) throw new RlmCallError(charged.reason, charged.message);
}

async function subQuery(
  host: CallbackHost,
  callId: string,
  prompt: string,
  signal: AbortSignal,
  charged = true,
): Promise<string> {
  if (charged) charge(host, 1);
  const response = await host.lm.generate({
    role: 'delegate_small',
    messages: [{ role: 'user', content: prompt }],
    signal,
    timeoutMs: host.tree.budgets.lmTimeoutMs,
    purpose: 'llm_query',
  });
  host.onLmResponse(response, 'llm_query', callId);
  return response.text;
}

/** Children run concurrently in extra sandboxes the pool can spare, else one after another. */
async function subRlmBatched(
  host: CallbackHost,
  prompts: string[],
  context: VariableValue,
  signal: AbortSignal,
  record: CallbackRecord,
): Promise<string[]> {
  if (host.depth >= host.tree.budgets.maxDepth) {
    record.degraded = 'max_depth';
    charge(host, prompts.length);
    const settled = await mapSettled(prompts, host.tree.budgets.batchConcurrency, (prompt) =>
      subQuery(host, record.callId, degradedPrompt(prompt, context), signal, false),
    );
    return settled.map((item) => (item.ok ? item.value : `[ERROR] ${errorMessage(item.error)}`));
  }
  const lanes: Sandbox[] = [host.sandbox];
  const borrowed: Sandbox[] = [];
  const wanted = Math.min(host.tree.budgets.subRlmConcurrency, prompts.length);
  try {
    while (lanes.length < wanted) {
      const lent = host.pool?.tryAcquire();
      if (!lent) break;
      const sandbox = await lent.catch(() => undefined);
      if (!sandbox) break;
      borrowed.push(sandbox);
      if (host.tools.size > 0) {
        const specs = [...host.tools.values()].map(({ name, params, doc }) => ({ name, params, doc }));
        const ready = await sandbox.registerTools(specs).then(
          () => true,
          () => false,
        );
        if (!ready) break;
      }
      lanes.push(sandbox);
    }
    const answers = new Array<string>(prompts.length);
    const children = new Array<RlmResult | undefined>(prompts.length);
    let next = 0;
    await Promise.all(
      lanes.map(async (sandbox) => {
        while (next < prompts.length) {
          const index = next++;
          const started = performance.now();
          try {
            const child = await host.runChild(prompts[index]!, context, sandbox, signal, {
              callId: record.callId,
              name: record.name,
            });
            children[index] = child;
            answers[index] = childAnswer(child);
            record.items?.push({ ok: true, durationMs: performance.now() - started });
          } catch (error) {
            answers[index] = `[ERROR] ${errorMessage(error)}`;
            record.items?.push({
              ok: false,
              durationMs: performance.now() - started,
              error: errorMessage(error),
            });
          }
        }
      }),
    );
    for (const child of children) if (child) record.children?.push(child.trajectory);
    return answers;
  } finally {
    await Promise.all(borrowed.map((sandbox) => host.pool?.destroy(sandbox)));
  }
}

function childAnswer(child: RlmResult): string {
  return answerText(child);
}

function degradedPrompt(prompt: string, context: VariableValue): string {
  const text =
    typeof context === 'string'
      ? context
      : Array.isArray(context)
        ? context.join('\n\n---\n\n')
        : JSON.stringify(context);
  if (!text) return prompt;
  return `${prompt}\n\nContext:\n${preview(text, DEGRADED_CONTEXT_CHARS)}`;
}

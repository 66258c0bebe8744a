/**
 * The RLM engine's entry point: `runRlm` builds the shared run tree (budgets, deadline,
 * cancellation, events) and runs the root. Children are started from inside the root's code.
 */
import { RlmRun } from './rlm-run.js';
import {
  DEFAULT_BUDGETS,
  type RlmBudgets,
  type RlmEvent,
  type RlmResult,
  type RlmRunOptions,
} from './rlm-types.js';
import { RunTree } from './run-tree.js';

export async function runRlm(options: RlmRunOptions): Promise<RlmResult> {
  const budgets: RlmBudgets = { ...DEFAULT_BUDGETS, ...definedOnly(options.budgets ?? {}) };
  const onEvent = options.onEvent;
  const emit = (event: RlmEvent) => {
    if (!onEvent) return;
    try {
      onEvent(event);
    } catch {
      // an observer's failure never fails the run
    }
  };
  const tree = new RunTree(budgets, options.signal, emit);
  try {
    if (options.tools?.length) {
      await options.sandbox.registerTools(
        options.tools.map(({ name, params, doc }) => ({ name, params, doc })),
      );
    }
    const root = new RlmRun({
      tree,
      lm: options.lm,
      sandbox: options.sandbox,
      pool: options.pool,
      tools: new Map((options.tools ?? []).map((tool) => [tool.name, tool])),
      role: options.role,
      depth: 0,
      contextName: options.contextName ?? 'root',
      inputs: options.inputs,
      outputSchema: options.outputSchema,
      signal: tree.signal,
    });
    return await root.execute();
  } finally {
    tree.dispose();
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

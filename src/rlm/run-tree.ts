/**
 * State shared by a root run and all its children: the sub-LM call budget, token and cost
 * totals, the run deadline and cancellation. Once a tree-wide budget runs out the tree is
 * stopped, and every run in it ends at its next step with that termination.
 */
import { addUsage, type Usage, ZERO_USAGE } from '../util/usage.js';
import type { RlmBudgets, RlmEvent, Termination, TerminationReason } from './rlm-types.js';

export class RunTree {
  llmCallsUsed = 0;
  /** The whole tree's usage so far. */
  usage: Usage = ZERO_USAGE;
  /** Aborts on cancel or when the run timeout passes; passed to every LM call and execute. */
  readonly signal: AbortSignal;
  private stopped?: Termination;
  private readonly deadline = new AbortController();
  private readonly timer?: NodeJS.Timeout;
  private nextRun = 0;

  constructor(
    readonly budgets: RlmBudgets,
    readonly userSignal: AbortSignal | undefined,
    readonly emit: (event: RlmEvent) => void,
  ) {
    this.signal = userSignal ? AbortSignal.any([userSignal, this.deadline.signal]) : this.deadline.signal;
    if (budgets.runTimeoutMs !== undefined) {
      this.timer = setTimeout(() => this.deadline.abort(new Error('run timeout')), budgets.runTimeoutMs);
      this.timer.unref();
    }
  }

  newRunId(): string {
    return `run-${++this.nextRun}`;
  }

  get llmCallsLeft(): number {
    return Math.max(0, this.budgets.maxLlmCalls - this.llmCallsUsed);
  }

  /** Why every run in the tree must stop now, if it must. */
  stopReason(): Termination | undefined {
    if (this.userSignal?.aborted) return { reason: 'cancelled', detail: 'the run was cancelled' };
    if (this.deadline.signal.aborted) {
      return {
        reason: 'timeout',
        detail: `the run passed its ${this.budgets.runTimeoutMs} ms time limit`,
        limit: this.budgets.runTimeoutMs,
      };
    }
    return this.stopped;
  }

  /**
   * Charges `count` sub-LM calls. A request larger than what is left is refused without
   * stopping the tree (the model can ask for less); asking when nothing is left stops it.
   */
  chargeLlmCalls(count: number): { ok: true } | { ok: false; reason: TerminationReason; message: string } {
    const stop = this.stopReason();
    if (stop) return { ok: false, reason: stop.reason, message: `no more LM calls: ${stop.detail}` };
    const left = this.llmCallsLeft;
    if (count <= left) {
      this.llmCallsUsed += count;
      return { ok: true };
    }
    const message =
      left === 0
        ? `LM call budget exhausted: all ${this.budgets.maxLlmCalls} sub-model calls are used`
        : `LM call budget: this needs ${count} calls but only ${left} of ${this.budgets.maxLlmCalls} are left`;
    if (left === 0) {
      this.stopped ??= {
        reason: 'max_llm_calls',
        detail: message,
        limit: this.budgets.maxLlmCalls,
        used: this.llmCallsUsed,
      };
    }
    return { ok: false, reason: 'max_llm_calls', message };
  }

  /** Adds one LM call's usage; crossing the token or cost budget stops the tree. */
  recordUsage(usage: Usage): void {
    this.usage = addUsage(this.usage, usage);
    const { maxTokens, maxCostUsd } = this.budgets;
    if (maxTokens !== undefined && this.usage.totalTokens >= maxTokens) {
      this.stopped ??= {
        reason: 'max_tokens',
        detail: `the token budget of ${maxTokens} is used up (${this.usage.totalTokens} tokens)`,
        limit: maxTokens,
        used: this.usage.totalTokens,
      };
    }
    if (maxCostUsd !== undefined && (this.usage.costUsd ?? 0) >= maxCostUsd) {
      this.stopped ??= {
        reason: 'max_cost',
        detail: `the cost budget of $${maxCostUsd} is used up ($${(this.usage.costUsd ?? 0).toFixed(4)})`,
        limit: maxCostUsd,
        used: this.usage.costUsd ?? 0,
      };
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

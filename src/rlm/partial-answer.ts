/**
 * How a run that ended without SUBMIT is reported to whoever asked for it (a parent RLM, or the
 * chat agent): marked partial with its termination reason, and when there is no answer at all,
 * what stopped the run, so the caller can tell a budget from a broken model key.
 */
import type { RlmResult } from './rlm-types.js';

export function partialAnswer(result: RlmResult, answer: string): string {
  const { reason, detail } = result.termination;
  return answer.trim() ? `[partial: ${reason}] ${answer}` : `[partial: ${reason}] (no answer: ${detail})`;
}

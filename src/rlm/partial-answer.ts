/**
 * How an RLM run's answer reads as text, wherever it is shown — to a parent RLM's code
 * (`sub_rlm` returns it), to the chat agent's model (a delegate's tool result), to the person
 * (an `rlm_only` turn): as it is when the run SUBMITted, else marked `[partial: <reason>]` (the
 * RLM prompt tells the model so), and when there is no answer at all, with what stopped the
 * run, so the reader can tell a budget from a broken model key. The run itself stays a typed
 * value (`RlmResult.status`, `termination`); this is the one place the marker is written, and
 * nothing parses it back.
 */
import type { RlmResult } from './rlm-types.js';

/** `answer` defaults to the run's; callers that shorten it pass the shortened one. */
export function answerText(
  result: Pick<RlmResult, 'status' | 'termination' | 'answer'>,
  answer: string = result.answer,
): string {
  if (result.status === 'completed') return answer;
  const { reason, detail } = result.termination;
  return answer.trim() ? `[partial: ${reason}] ${answer}` : `[partial: ${reason}] (no answer: ${detail})`;
}

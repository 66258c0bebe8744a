/**
 * Whether the configured model strings can be used at all, before any call: each role's
 * `provider/model` must parse and name a known provider. Readiness (`/ready`) and runtime status
 * read this. A planner that cannot be used stops every turn, so the server is not ready; a bad
 * delegate model fails only the work handed to that role (delegations and child runs, or
 * `llm_query`), and the chat agent still answers, so the server stays ready and says what to fix
 * (taking every replica out of rotation for a sub-feature would turn one typo into an outage).
 */
import type { LmConfig, ModelConfig } from '../../config/config.js';
import type { ModelRole } from '../../lm/lm-client.js';
import { ROLE_ENV } from '../../lm/lm-error.js';
import { parseModelSpec } from '../../lm/model-spec.js';
import { errorMessage } from '../../util/text.js';

export interface ModelProblem {
  role: ModelRole;
  /** The variable the string came from, e.g. `DSPY_DELEGATE_LM_MODEL`. */
  variable: string;
  /** What is wrong and the fix (the variable and an example to paste). */
  problem: string;
}

export interface ModelReadiness {
  planner: 'ready' | 'missing' | 'invalid';
  /** Why no turn can run, with the fix: the planner's problem, if any. */
  blocking: string[];
  /** Problems that fail only part of a turn (a delegate role's model), each with its fix. */
  delegates: ModelProblem[];
}

/** What fails while a delegate role's model cannot be used. */
const AFFECTED: Record<Exclude<ModelRole, 'planner'>, string> = {
  delegate: 'delegations (delegate_to_rlm, rlm_only) and sub_rlm fail until then',
  delegate_small: 'llm_query and llm_query_batched fail until then',
};

export function modelReadiness(lm: LmConfig): ModelReadiness {
  const planner = problemOf('planner', lm.planner);
  const delegates = [
    problemOf('delegate', lm.delegate),
    problemOf('delegate_small', lm.delegateSmall),
  ].filter((problem): problem is ModelProblem => problem !== undefined);
  if (!lm.planner) {
    const env = ROLE_ENV.planner;
    return {
      planner: 'missing',
      blocking: [`no planner model: set ${env.model} (e.g. ${env.model}=openai/gpt-4o) and ${env.apiKey}`],
      delegates,
    };
  }
  return { planner: planner ? 'invalid' : 'ready', blocking: planner ? [planner.problem] : [], delegates };
}

/** A delegate problem as a status guidance line: the fix, then what fails meanwhile. */
export function delegateGuidance(problem: ModelProblem): string {
  const affected = problem.role === 'planner' ? 'no turn can run until then' : AFFECTED[problem.role];
  return `Fix ${problem.problem}; ${affected}`;
}

function problemOf(role: ModelRole, model: ModelConfig | undefined): ModelProblem | undefined {
  if (!model) return undefined;
  const variable = ROLE_ENV[role].model;
  try {
    parseModelSpec(model.model, variable);
    return undefined;
  } catch (error) {
    return { role, variable, problem: `${variable}: ${errorMessage(error)}` };
  }
}

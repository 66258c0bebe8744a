/**
 * `delegate_to_rlm` and `delegate_to_rlm_batched`: hand a task over a session document to an RLM
 * on the delegate model — the same signature as `fleet-rlm run` (document = `context`, task =
 * `question`, output `answer`) — in the session's sandbox, with its events relayed live.
 */
import { z } from 'zod';
import { answerText } from '../../rlm/partial-answer.js';
import { runRlm } from '../../rlm/rlm-engine.js';
import type { RlmResult } from '../../rlm/rlm-types.js';
import { mapSettled } from '../../util/concurrency.js';
import { errorMessage } from '../../util/text.js';
import { toolCallNode } from '../agent-events.js';
import { relayRlmEvents } from '../rlm-relay.js';
import type { ToolContext } from './tool-context.js';
import { agentTool, type ToolResult, toolFailure, toolSuccess } from './tool-result.js';

const TRUNCATED = '\n[truncated delegate output]';

async function delegate(
  context: ToolContext,
  callId: string,
  toolName: string,
  task: string,
  documentRef: string | undefined,
  lane: number,
): Promise<ToolResult<string>> {
  const document = await context.session.documents.resolve(documentRef);
  if (!document) {
    return toolFailure(
      documentRef
        ? `no document '${documentRef}' in this session; list_documents shows the aliases`
        : 'no document is loaded; call load_document first (or pass the text in the task)',
    );
  }
  const text = await context.session.documents.text(document);
  const { sandbox } = await context.sandbox();
  const result: RlmResult = await runRlm({
    inputs: { question: task, context: text },
    role: 'delegate',
    lm: context.lm,
    sandbox,
    pool: context.pool,
    budgets: context.rlmBudgets,
    signal: context.signal,
    contextName: `turn${context.turnIndex}.${callId.replace(/\W/g, '')}.${lane}`,
    onEvent: relayRlmEvents(context.emit, { callId, toolName, lane, parent: toolCallNode(callId) }),
  });
  context.addUsage(result.usage);
  const limit = context.agent.delegateResultChars;
  const answer =
    result.answer.length > limit ? `${result.answer.slice(0, limit)}${TRUNCATED}` : result.answer;
  // A partial answer is still an answer: the tool worked, the text says how far the run got.
  return toolSuccess(answerText(result, answer));
}

/** Reserves `count` delegations of the turn's budget, or says why not. */
function reserve(context: ToolContext, count: number): string | undefined {
  const left = context.agent.maxDelegationsPerTurn - context.delegations.used;
  if (count > left) {
    return `delegation budget: ${count} requested but only ${left} of ${context.agent.maxDelegationsPerTurn} are left this turn; answer with what you have`;
  }
  context.delegations.used += count;
  return undefined;
}

export function delegationTools(context: ToolContext) {
  return {
    delegate_to_rlm: agentTool({
      description:
        'Answer a task over a long session document with a Recursive Language Model: it writes Python over the whole document (never reads it at once) and calls sub-models on the parts it needs. Use it for anything that needs more than a quick search of a long document.',
      inputSchema: z.object({
        task: z.string().min(1).describe('what to find, compute or summarize, stated fully'),
        document: z
          .string()
          .optional()
          .describe('alias, id or name of the document; the active one by default'),
      }),
      execute: async ({ task, document }, { toolCallId }) => {
        const refused = reserve(context, 1);
        if (refused) return toolFailure(refused);
        try {
          return await delegate(context, toolCallId, 'delegate_to_rlm', task, document, 0);
        } catch (error) {
          return toolFailure(`the delegated run failed: ${errorMessage(error)}`);
        }
      },
    }),
    delegate_to_rlm_batched: agentTool({
      description:
        'Run several independent delegate_to_rlm tasks in parallel (each over one document); faster than calling delegate_to_rlm repeatedly. Results come back in order.',
      inputSchema: z.object({
        tasks: z
          .array(z.object({ task: z.string().min(1), document: z.string().optional() }))
          .min(1)
          .max(16),
      }),
      execute: async ({ tasks }, { toolCallId }) => {
        const refused = reserve(context, tasks.length);
        if (refused) return toolFailure(refused);
        const settled = await mapSettled(tasks, Math.min(4, tasks.length), (item, index) =>
          delegate(context, toolCallId, 'delegate_to_rlm_batched', item.task, item.document, index),
        );
        // One list for the model, in order; each item says its answer or why it has none.
        return toolSuccess(
          settled.map((item, index) => {
            const { task } = tasks[index]!;
            if (!item.ok) return { task, error: errorMessage(item.error) };
            const result = item.value;
            return result.ok ? { task, answer: result.output } : { task, error: result.error };
          }),
        );
      },
    }),
  };
}

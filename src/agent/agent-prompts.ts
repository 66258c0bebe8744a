/**
 * The chat agent's texts: the planner's system prompt (core memory, documents, the summary of
 * older turns, how to work) and the history summarizer's instructions. Versioned like the RLM's.
 */
import { effectiveCoreMemory } from '../sessions/core-memory.js';
import type { DocumentMeta, SessionRow } from '../store/store.js';

export const AGENT_PROMPT_VERSION = 'fleet-agent-prompts/1';

export function agentSystemPrompt(input: {
  session: SessionRow;
  documents: DocumentMeta[];
  maxIterations: number;
  delegationsLeft: number;
  canDelegate: boolean;
}): string {
  const { historySummary, activeDocumentId } = input.session;
  const coreMemory = effectiveCoreMemory(input.session.coreMemory);
  const documents = input.documents.length
    ? input.documents
        .map(
          (document) =>
            `- ${document.alias}${document.id === activeDocumentId ? ' (active)' : ''}: ${document.name}, ${document.textChars.toLocaleString('en-US')} characters`,
        )
        .join('\n')
    : '(none yet: load_document adds one, or the user uploads one)';
  const delegation = input.canDelegate
    ? `- For any question about a long document, call delegate_to_rlm: a Recursive Language Model reads the whole document through code. Never page through a long document with read_document. Independent tasks go together in delegate_to_rlm_batched. You have ${input.delegationsLeft} delegations this turn.`
    : '- Delegation to RLMs is off for this message: work with search_document, read_document and run_python.';
  return `${coreMemory.persona}

## What you know about the user
${coreMemory.human || '(nothing yet)'}

## Scratchpad
${coreMemory.scratchpad || '(empty)'}

## Documents in this session
${documents}
${historySummary ? `\n## Earlier in this conversation (summary)\n${historySummary}\n` : ''}
## How to work
${delegation}
- search_document finds lines quickly; read_document shows a short passage; run_python computes (standard library only).
- When you learn something lasting about the user, keep it with edit_core_memory.
- Before each tool call, say in one sentence what you are about to do and why.
- When you can answer, reply directly (no tool call) in Markdown, citing document aliases. At most ${input.maxIterations} steps this turn.`;
}

export const SUMMARY_INSTRUCTIONS =
  "Summarize this conversation for an assistant that will continue it: the user's goals, facts established, documents discussed, decisions and open questions. Keep names, numbers and document aliases. At most 250 words. Merge the earlier summary in; do not repeat it verbatim.";

export const FINAL_ANSWER_NUDGE =
  'You have used every step of this turn. Answer now from what you have found, without calling tools; say what remains open.';

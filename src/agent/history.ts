/**
 * Conversation history for the planner, bounded: the last few turns verbatim, everything older
 * folded into a running summary kept on the session (one summarizer call when turns fall out of
 * the window). A failed summary never fails the turn; the window alone still bounds the prompt.
 */
import type { AgentConfig } from '../config/config.js';
import type { LmClient, LmMessage } from '../lm/lm-client.js';
import type { OwnedSession } from '../sessions/owned-session.js';
import type { TurnRow } from '../store/store.js';
import type { Usage } from '../util/usage.js';
import { SUMMARY_INSTRUCTIONS } from './agent-prompts.js';

const ANSWER_CHARS = 6000;

export async function conversationHistory(input: {
  lm: LmClient;
  session: OwnedSession;
  config: AgentConfig;
  signal: AbortSignal;
  onUsage(usage: Usage): void;
  log(message: string): void;
}): Promise<LmMessage[]> {
  const { session, config } = input;
  const { historySummary, summarizedThrough } = session.row;
  const turns = (await session.turns({ afterIndex: summarizedThrough })).filter(
    (turn) => turn.status === 'completed' && turn.assistantMessage,
  );
  const overflow = turns.length - config.historyTurns;
  if (overflow > 0) {
    const folded = turns.slice(0, overflow);
    try {
      const response = await input.lm.generate({
        role: 'planner',
        purpose: 'history.summary',
        signal: input.signal,
        maxTokens: 600,
        messages: [
          { role: 'system', content: SUMMARY_INSTRUCTIONS },
          {
            role: 'user',
            content: `Earlier summary:\n${historySummary || '(none)'}\n\nTurns to fold in:\n${transcript(folded)}`,
          },
        ],
      });
      input.onUsage(response.usage);
      await session.saveHistorySummary(response.text.trim(), folded.at(-1)!.index);
    } catch (error) {
      input.log(`summarizing older turns failed (they are left out of the prompt): ${String(error)}`);
    }
  }
  return turns.slice(-config.historyTurns).flatMap((turn) => [
    { role: 'user' as const, content: turn.userMessage },
    { role: 'assistant' as const, content: clip(turn.assistantMessage ?? '') },
  ]);
}

function transcript(turns: TurnRow[]): string {
  return turns
    .map((turn) => `User: ${turn.userMessage}\nAssistant: ${clip(turn.assistantMessage ?? '', 2000)}`)
    .join('\n\n');
}

function clip(text: string, max = ANSWER_CHARS): string {
  return text.length > max ? `${text.slice(0, max)} […]` : text;
}

/**
 * Conversation history for the planner, bounded: the last few turns verbatim, everything older
 * folded into a running summary kept on the session (one summarizer call when turns fall out of
 * the window). A failed summary never fails the turn; the window alone still bounds the prompt.
 */
import type { AgentConfig } from '../config/config.js';
import type { LmClient, LmMessage, LmUsage } from '../lm/lm-client.js';
import type { SessionRow, Store, TurnRow } from '../store/store.js';
import { SUMMARY_INSTRUCTIONS } from './agent-prompts.js';

const ANSWER_CHARS = 6000;

export async function conversationHistory(input: {
  store: Store;
  lm: LmClient;
  session: SessionRow;
  config: AgentConfig;
  signal: AbortSignal;
  onUsage(usage: LmUsage): void;
  log(message: string): void;
}): Promise<LmMessage[]> {
  const { store, session, config } = input;
  const turns = (await store.listTurns(session.id, { afterIndex: session.summarizedThrough })).filter(
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
            content: `Earlier summary:\n${session.historySummary || '(none)'}\n\nTurns to fold in:\n${transcript(folded)}`,
          },
        ],
      });
      input.onUsage(response.usage);
      session.historySummary = response.text.trim();
      session.summarizedThrough = folded.at(-1)!.index;
      await store.updateSession(session.id, {
        historySummary: session.historySummary,
        summarizedThrough: session.summarizedThrough,
      });
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

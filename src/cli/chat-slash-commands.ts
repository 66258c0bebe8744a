/**
 * The slash commands of `fleet-rlm chat`, parsed from one input line. A line starting with `/`
 * is a command; `//` escapes a message that itself starts with a slash.
 */
import { EXECUTION_MODES, type ExecutionMode } from '../contract/client-frames.js';

export type SlashCommand =
  | { name: 'cancel' }
  | { name: 'session'; id?: string }
  | { name: 'new' }
  | { name: 'docs' }
  | { name: 'load'; source: string; alias?: string }
  | { name: 'mode'; mode?: ExecutionMode }
  | { name: 'help' }
  | { name: 'quit' }
  | { name: 'invalid'; problem: string };

export const CHAT_HELP = `commands:
  /cancel            stop the running turn (also Ctrl-C; Ctrl-C twice quits)
  /session [ID]      print the session id, or switch to session ID and resume it
  /new               start a new session
  /docs              list the session's documents
  /load SOURCE [AS]  load a document: a local file, a URL, or an alias already in the session
  /mode [MODE]       print or set the execution mode: ${EXECUTION_MODES.join(', ')}
  /help              this help
  /quit              leave (a running turn goes on on the server; /session ID resumes it)
anything else is a message; start it with // to send a leading slash.`;

/** The command on the line, or undefined when the line is a message. */
export function parseSlashCommand(line: string): SlashCommand | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('/') || trimmed.startsWith('//')) return undefined;
  const [word = '', ...rest] = trimmed.slice(1).split(/\s+/);
  const args = rest.filter(Boolean);
  switch (word.toLowerCase()) {
    case 'cancel':
      return { name: 'cancel' };
    case 'session':
      return { name: 'session', id: args[0] };
    case 'new':
      return { name: 'new' };
    case 'docs':
      return { name: 'docs' };
    case 'load':
      if (!args[0]) return { name: 'invalid', problem: 'usage: /load SOURCE [ALIAS]' };
      return { name: 'load', source: args[0], alias: args[1] };
    case 'mode': {
      if (!args[0]) return { name: 'mode' };
      const mode = EXECUTION_MODES.find((candidate) => candidate === args[0]);
      if (!mode)
        return { name: 'invalid', problem: `unknown mode '${args[0]}'; use ${EXECUTION_MODES.join(', ')}` };
      return { name: 'mode', mode };
    }
    case 'help':
    case '?':
      return { name: 'help' };
    case 'quit':
    case 'exit':
      return { name: 'quit' };
    default:
      return { name: 'invalid', problem: `unknown command /${word}; /help lists them` };
  }
}

/** The message text of a line that is not a command (`//x` sends `/x`). */
export function messageText(line: string): string {
  const trimmed = line.trim();
  return trimmed.startsWith('//') ? trimmed.slice(1) : trimmed;
}

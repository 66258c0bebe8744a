/**
 * Splits a model reply into reasoning and runnable code: fenced blocks labelled `repl`,
 * `python`, `py` or unlabelled run in order (as in the official rlm repo); blocks in any other
 * language (json, text, bash, ...) are prose and never run.
 */

const RUNNABLE = new Set(['', 'repl', 'python', 'py', 'python3']);
const FENCE = /^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)^[ \t]*\1[ \t]*$/gm;

export interface ParsedReply {
  blocks: string[];
  reasoning: string;
  /** A fence was opened and never closed (the reply was probably cut off). */
  unclosed: boolean;
}

export function parseReply(reply: string): ParsedReply {
  const text = reply.replace(/\r\n/g, '\n');
  const blocks: string[] = [];
  const prose: string[] = [];
  let last = 0;
  for (const match of text.matchAll(FENCE)) {
    const label = (match[2] ?? '').toLowerCase();
    prose.push(text.slice(last, match.index));
    last = match.index + match[0].length;
    if (RUNNABLE.has(label)) {
      const code = (match[3] ?? '').replace(/\s+$/, '');
      if (code.trim()) blocks.push(code);
    } else {
      prose.push(match[0]);
    }
  }
  const rest = text.slice(last);
  prose.push(rest);
  return {
    blocks,
    reasoning: prose
      .join('')
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
    unclosed: /^[ \t]*(`{3,}|~{3,})/m.test(rest),
  };
}

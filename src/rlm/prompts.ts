/**
 * Every text the RLM engine sends to a model, in one place and versioned: the system prompt,
 * the first message (question + variable metadata), per-iteration feedback, and the extract
 * prompt used when a budget runs out. Change PROMPT_VERSION whenever a prompt changes.
 */
import type { OutputField } from './output-schema.js';

export const PROMPT_VERSION = 'fleet-rlm-prompts/1';

export interface SystemPromptInput {
  fields: OutputField[];
  depth: number;
  maxDepth: number;
  maxIterations: number;
  maxLlmCalls: number;
  tools: Array<{ name: string; params: string[]; doc?: string }>;
}

export function systemPrompt(input: SystemPromptInput): string {
  const submit = `SUBMIT(${input.fields.map((field) => `${field.name}=...`).join(', ')})`;
  const fields = input.fields
    .map(
      (field) =>
        `- \`${field.name}\` (${field.type}${field.optional ? ', optional' : ''})${field.description ? `: ${field.description}` : ''}`,
    )
    .join('\n');
  const canRecurse = input.depth < input.maxDepth;
  const tools = input.tools.length
    ? `\nHost tools you may also call:\n${input.tools.map((tool) => `- \`${tool.name}(${tool.params.join(', ')})\`${tool.doc ? `: ${tool.doc}` : ''}`).join('\n')}\n`
    : '';
  return `You are a Recursive Language Model (RLM). You answer a question about inputs that may be far too large to read directly. The inputs live as variables in a persistent Python REPL; you work on them by writing code, and you see only what your code prints.

How each turn works:
- Think briefly, then write Python in one or more fenced blocks:
\`\`\`repl
print(len(context))
\`\`\`
- Blocks labelled repl, python or py (or unlabelled) run in order; variables persist between turns.
- You then see what the code printed (long output is cut to its head and tail), or the error.
- Only the Python standard library is available (re, json, collections, math, ...): no numpy, pandas or network.

Functions available in the REPL:
- \`llm_query(prompt: str) -> str\`: ask a sub-model a question about text you include in the prompt (it sees nothing else). Use it for meaning, not for things code can do; give it chunks of up to about 100,000 characters.
- \`llm_query_batched(prompts: list[str]) -> list[str]\`: many sub-model questions at once, answered concurrently, in order. A failed item comes back as a string starting with "[ERROR]". Much faster than calling llm_query in a loop.
- \`sub_rlm(prompt: str, context="") -> str\`: hand a sub-task to a child RLM with its own REPL where \`context\` is a variable. ${canRecurse ? 'Use it for sub-tasks that themselves need code over a large text.' : 'At this depth it runs as a plain llm_query.'}
- \`sub_rlm_batched(prompts: list[str], context="") -> list[str]\`: several child RLMs, in order.
- \`${submit}\`: end the run with your final outputs. Nothing after SUBMIT in the block runs.
${tools}
Outputs to SUBMIT:
${fields}

Budget: at most ${input.maxIterations} turns, and ${input.maxLlmCalls} sub-model calls (llm_query items and child-RLM turns) shared with any child RLMs. A child's partial answer starts with "[partial: <reason>]".

Work method: look at the data first (size, structure, a few samples); narrow it down with code (slicing, regex, splitting); use sub-model calls on the parts that need reading; check intermediate results by printing them; build the answer in variables; SUBMIT only after you have seen the evidence printed. Keep each turn to a small step.`;
}

export function firstMessage(question: string, variables: string[], maxIterations: number): string {
  return `REPL variables:
${variables.join('\n')}

The question is in the variable \`question\` and here in full:
${question}

Turn 1 of ${maxIterations}. Start by exploring the inputs with code.`;
}

export interface BlockFeedback {
  stdout: string;
  stderr: string;
  stdoutChars: number;
  error?: { type: string; traceback: string; message: string };
  note?: string;
}

export function feedbackMessage(input: {
  blocks: BlockFeedback[];
  iteration: number;
  maxIterations: number;
  llmCallsLeft: number;
  notes: string[];
}): string {
  const parts = input.blocks.map((block, index) => {
    const header = input.blocks.length > 1 ? `[block ${index + 1}] ` : '';
    const lines: string[] = [];
    if (block.stdout)
      lines.push(`${header}Output (${block.stdoutChars.toLocaleString('en-US')} chars):\n${block.stdout}`);
    if (block.stderr) lines.push(`${header}stderr:\n${block.stderr}`);
    if (block.error)
      lines.push(
        `${header}Error:\n${block.error.traceback || `${block.error.type}: ${block.error.message}`}`,
      );
    if (block.note) lines.push(`${header}${block.note}`);
    if (lines.length === 0) lines.push(`${header}(no output - did you forget to print?)`);
    return lines.join('\n');
  });
  const next = input.iteration + 1;
  const status = `Turn ${next} of ${input.maxIterations}. Sub-model calls left: ${input.llmCallsLeft}.`;
  return [...parts, ...input.notes, status].join('\n\n');
}

export function noCodeReminder(unclosed: boolean): string {
  return unclosed
    ? 'Your code block was not closed with ``` so nothing ran. Write complete fenced ```repl blocks.'
    : 'Your reply had no code block, so nothing ran. Write Python in a fenced ```repl block; when you are done, call SUBMIT(...) from code.';
}

export function extractMessages(input: {
  question: string;
  reason: string;
  fields: OutputField[];
  transcript: string;
}): Array<{ role: 'system' | 'user'; content: string }> {
  const shape = input.fields.map((field) => `"${field.name}": <${field.type}>`).join(', ');
  return [
    {
      role: 'system',
      content: `An RLM run stopped before it submitted an answer (${input.reason}). From the work below, give the best answer you can. If the evidence is incomplete, answer with what is known and say what is missing. Reply with only a JSON object: {${shape}}.`,
    },
    {
      role: 'user',
      content: `Question:\n${input.question}\n\nWork so far (most recent last):\n${input.transcript}`,
    },
  ];
}

/**
 * The extract step: when a run stops without a valid SUBMIT (iterations, sub-call budget,
 * timeout), one reserved LM call — outside `max_llm_calls` — turns the work so far into the
 * best answer it supports.
 */
import type { z } from 'zod';
import type { LmClient, LmResponse, ModelRole } from '../lm/lm-client.js';
import { errorMessage, headTail } from '../util/text.js';
import { checkSubmit, type OutputField } from './output-schema.js';
import { extractMessages } from './prompts.js';
import type { IterationRecord, Termination, Trajectory } from './rlm-types.js';

const TRANSCRIPT_CHARS = 40_000;
const TURN_CHARS = 6_000;

export interface ExtractInput {
  lm: LmClient;
  role: ModelRole;
  schema: z.ZodObject;
  fields: OutputField[];
  question: string;
  termination: Termination;
  iterations: IterationRecord[];
  userSignal?: AbortSignal;
  timeoutMs: number;
  onResponse(response: LmResponse): void;
}

export async function extractOutputs(
  input: ExtractInput,
): Promise<{ outputs?: Record<string, unknown>; record: NonNullable<Trajectory['extract']> }> {
  const signal = input.userSignal
    ? AbortSignal.any([input.userSignal, AbortSignal.timeout(input.timeoutMs)])
    : AbortSignal.timeout(input.timeoutMs);
  const reason = input.termination.reason;
  try {
    const response = await input.lm.generate({
      role: input.role,
      messages: extractMessages({
        question: input.question,
        reason: input.termination.detail,
        fields: input.fields,
        transcript: transcript(input.iterations),
      }),
      signal,
      timeoutMs: input.timeoutMs,
      purpose: 'rlm.extract',
    });
    input.onResponse(response);
    const outputs = parseOutputs(response.text, input.schema, input.fields);
    return {
      ...(outputs ? { outputs } : {}),
      record: { reason, text: response.text, ok: outputs !== undefined },
    };
  } catch (error) {
    return { record: { reason, text: '', ok: false, error: errorMessage(error) } };
  }
}

/** The most recent turns first, within a fixed character budget, then put back in order. */
function transcript(iterations: IterationRecord[]): string {
  const turns: string[] = [];
  let used = 0;
  for (const record of [...iterations].reverse()) {
    const code = record.blocks.map((block) => block.code).join('\n\n');
    const output = record.blocks
      .map((block) =>
        [block.stdout, block.error ? `${block.error.type}: ${block.error.message}` : '']
          .filter(Boolean)
          .join('\n'),
      )
      .join('\n');
    const turn = headTail(
      `## Turn ${record.iteration}\nReasoning: ${record.reasoning}\nCode:\n${code}\nOutput:\n${output || '(none)'}`,
      TURN_CHARS,
    );
    if (used + turn.length > TRANSCRIPT_CHARS) break;
    used += turn.length;
    turns.push(turn);
  }
  return turns.reverse().join('\n\n');
}

function parseOutputs(
  text: string,
  schema: z.ZodObject,
  fields: OutputField[],
): Record<string, unknown> | undefined {
  const json = /\{[\s\S]*\}/.exec(text)?.[0];
  if (json) {
    try {
      const check = checkSubmit(schema, JSON.parse(json) as Record<string, unknown>);
      if (check.ok) return check.outputs;
    } catch {
      // not JSON after all: fall through to plain text
    }
  }
  const required = fields.filter((field) => !field.optional);
  if (required.length === 1 && required[0]!.type === 'str' && text.trim()) {
    return { [required[0]!.name]: text.trim() };
  }
  return undefined;
}

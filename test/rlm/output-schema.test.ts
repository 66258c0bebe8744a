import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  answerText,
  checkSubmit,
  DEFAULT_OUTPUT_SCHEMA,
  describeFields,
} from '../../src/rlm/output-schema.js';

describe('output schema', () => {
  it('describes fields with Python type names for the prompt', () => {
    const schema = z.object({
      answer: z.string().describe('the answer'),
      confidence: z.number(),
      count: z.number().int(),
      sources: z.array(z.string()).optional(),
    });
    expect(describeFields(schema)).toEqual([
      { name: 'answer', type: 'str', description: 'the answer', optional: false },
      { name: 'confidence', type: 'float', description: undefined, optional: false },
      { name: 'count', type: 'int', description: undefined, optional: false },
      { name: 'sources', type: 'array', description: undefined, optional: true },
    ]);
  });

  it('accepts a valid payload and drops unknown fields', () => {
    const check = checkSubmit(DEFAULT_OUTPUT_SCHEMA, { answer: 'yes', extra: 1 });
    expect(check).toEqual({ ok: true, outputs: { answer: 'yes' } });
  });

  it('stringifies a number given for a string field', () => {
    expect(checkSubmit(DEFAULT_OUTPUT_SCHEMA, { answer: 42 })).toEqual({
      ok: true,
      outputs: { answer: '42' },
    });
  });

  it('names missing fields and shows how to call SUBMIT', () => {
    const check = checkSubmit(DEFAULT_OUTPUT_SCHEMA, { result: 'x' });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.errors).toEqual(['missing output field(s): answer']);
    expect(check.feedback).toBe(
      '[Error] SUBMIT is missing output field(s): answer. Call SUBMIT(answer=...).',
    );
  });

  it('reports type errors per field with what was given', () => {
    const schema = z.object({ answer: z.string(), score: z.number().min(0).max(1) });
    const check = checkSubmit(schema, { answer: ['a'], score: 7 });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.errors).toHaveLength(2);
    expect(check.errors[0]).toMatch(/^answer: .*\(got list of 1\)$/);
    expect(check.errors[1]).toMatch(/^score: .*\(got number\)$/);
    expect(check.feedback).toContain('[Type Error] SUBMIT was rejected');
  });

  it('renders the answer text', () => {
    expect(answerText({ answer: 'a' })).toBe('a');
    expect(answerText({ answer: { x: 1 } })).toBe('{"x":1}');
    expect(answerText({ total: 3 })).toBe('{"total":3}');
  });
});

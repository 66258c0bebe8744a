/**
 * Decoding of `/api/3.0/mlflow/traces/get` answers recorded from MLflow 3.17.2
 * (`__fixtures__/`): base64 ids, nanosecond times, AnyValue attributes, assessments of every
 * value kind. The same decoder runs on live answers in mlflow-client.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeAnyValue, decodeSpans } from '../../../src/tracing/mlflow/mlflow-span.js';
import { decodeTraceInfo } from '../../../src/tracing/mlflow/mlflow-trace-info.js';

function fixture(name: string): { trace: { trace_info: unknown; spans: unknown } } {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
}

describe('decoding recorded MLflow 3.17.2 traces', () => {
  it('decodes an agent trace: ids, tree, types, inputs as values', () => {
    const { trace } = fixture('traces-get-agent-3.17.2.json');
    const spans = decodeSpans(trace.spans);
    expect(spans).toHaveLength(2);
    const [root, child] = spans;
    expect(root).toMatchObject({
      traceId: '79e2214f2757ff9c8c36c9a5c0b508d7',
      spanId: '4ea083e190cb4aa4',
      name: 'FleetAgent.respond',
      spanType: 'AGENT',
      inputs: { message: 'hello', n: 1 },
      outputs: { answer: 'world' },
      status: 'OK',
    });
    expect(root!.parentSpanId).toBeUndefined();
    expect(root!.attributes['mlflow.traceRequestId']).toBe('tr-79e2214f2757ff9c8c36c9a5c0b508d7');
    expect(root!.endTimeMs! - root!.startTimeMs).toBeCloseTo(3.61, 1);
    expect(child).toMatchObject({
      parentSpanId: root!.spanId,
      spanType: 'LLM',
      inputs: [{ role: 'user', content: 'hi' }],
      outputs: 'ok',
      status: 'UNSET',
    });
    expect(child!.attributes['mlflow.chat.tokenUsage']).toEqual({
      input_tokens: 10,
      output_tokens: 5,
      total_tokens: 15,
    });
  });

  it('decodes the trace info and each assessment value kind', () => {
    const info = decodeTraceInfo(fixture('traces-get-agent-3.17.2.json').trace.trace_info, 'test');
    expect(info).toMatchObject({
      traceId: 'tr-79e2214f2757ff9c8c36c9a5c0b508d7',
      experimentId: '1',
      state: 'OK',
      executionDurationMs: 3,
      requestPreview: '{"message":"hello","n":1}',
      metadata: { 'mlflow.trace.session': 'sess-abc', 'mlflow.trace.user': 'user-1' },
    });
    expect(info.tags.probe_tag).toBe('tagval');
    const values = info.assessments.map((item) => [item.kind, item.name, item.value]);
    expect(values).toEqual([
      ['feedback', 'response_is_correct', true],
      ['expectation', 'expected_response', { answer: 'x' }],
      ['feedback', 'meta', true],
      ['feedback', 'f', false],
      ['feedback', 'f', 0],
      ['feedback', 'f', ''],
      ['expectation', 'expected_response', 'three'],
    ]);
    expect(info.assessments[0]).toMatchObject({ rationale: 'good', metadata: { tenant: 't1' } });
    // A metadata map with a number in it was dropped by the server, not by us.
    expect(info.assessments[2]!.metadata).toEqual({});
  });

  it('decodes GenAI attributes, cost, and a non-JSON string input', () => {
    const { trace } = fixture('traces-get-genai-3.17.2.json');
    const info = decodeTraceInfo(trace.trace_info, 'test');
    expect(info.metadata['mlflow.trace.session']).toBe('conv-9'); // from gen_ai.conversation.id
    expect(JSON.parse(info.metadata['mlflow.trace.tokenUsage']!)).toEqual({
      input_tokens: 7,
      output_tokens: 3,
      total_tokens: 10,
    });
    expect(info.responsePreview).toHaveLength(1000);
    const [root, child] = decodeSpans(trace.spans);
    expect(root!.inputs).toBe('plain text not json');
    expect(child!.attributes['gen_ai.usage.input_tokens']).toBe(7);
    expect(child!.attributes['mlflow.llm.cost']).toEqual({
      input_cost: 0.01,
      output_cost: 0.02,
      total_cost: 0.03,
    });
  });

  it('takes int64 as strings, hex ids, and the older JSON-text attribute map', () => {
    expect(decodeAnyValue({ int_value: '9007199254740993' })).toBeTypeOf('number');
    expect(decodeAnyValue({ array_value: {} })).toEqual([]);
    const [span] = decodeSpans([
      {
        trace_id: '79e2214f2757ff9c8c36c9a5c0b508d7',
        span_id: '4ea083e190cb4aa4',
        name: 'old',
        start_time_unix_nano: '1795635614270000000',
        attributes: { 'mlflow.spanInputs': '{"a":1}', 'mlflow.spanType': '"TOOL"' },
        status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
      },
      { name: 'no ids' },
    ]);
    expect(span).toMatchObject({
      spanType: 'TOOL',
      inputs: { a: 1 },
      status: 'ERROR',
      statusMessage: 'boom',
    });
    expect(span!.startTimeMs).toBeCloseTo(1795635614270, 0);
  });
});

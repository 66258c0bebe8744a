/**
 * The spans of an RLM run on their own (no server, no MLflow): a run whose code calls
 * `llm_query_batched` and `sub_rlm` yields one tree — run, iteration, the model call, the sandbox
 * execution, and under it each host callback with its items and the child run — and a run
 * stopped by a failing model marks its iteration and run as errors.
 */
import { context } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTracer } from '../../src/tracing/active-tracer.js';
import { CHILD_MODEL, RlmHarness, ROOT_MODEL, SMALL_MODEL, turn, turns } from '../support/rlm-harness.js';

let harness: RlmHarness;
const memory = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer('t');

beforeAll(async () => {
  harness = await RlmHarness.start('process');
}, 60_000);
afterAll(async () => {
  await harness?.close();
});

const traced = <T>(fn: () => Promise<T>) =>
  context.with(context.active(), () => withTracer(tracer, (text) => text, fn));

/** The names under `span`, in start order. */
function children(spans: ReadableSpan[], span: ReadableSpan | undefined): ReadableSpan[] {
  return spans
    .filter((item) => item.parentSpanContext?.spanId === span?.spanContext().spanId)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
}
const names = (spans: ReadableSpan[]) => spans.map((span) => span.name);

describe('RLM spans', () => {
  it('nest the callbacks, their items and the child run under the execution that made them', async () => {
    memory.reset();
    const result = await traced(() =>
      harness.run(
        [
          ...turns(ROOT_MODEL, [
            turn(
              'parts = llm_query_batched(["a?", "b?"])\nchild = sub_rlm("check", "ctx")\nprint(parts, child)',
            ),
            turn('SUBMIT(answer="done")'),
          ]),
          ...turns(CHILD_MODEL, [turn('SUBMIT(answer="checked")')]),
          { model: SMALL_MODEL, reply: 'small' },
        ],
        { inputs: { question: 'q', context: 'text' } },
      ),
    );
    expect(result.termination.reason).toBe('submitted');
    const spans = memory.getFinishedSpans();
    const roots = spans.filter(
      (span) => !spans.some((p) => p.spanContext().spanId === span.parentSpanContext?.spanId),
    );
    expect(names(roots)).toEqual(['RLM.run']);
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    const [first, second] = children(spans, roots[0]);
    expect(names([first!, second!])).toEqual(['RLM.iteration', 'RLM.iteration']);
    expect(names(children(spans, first))).toEqual(['lm.rlm.iteration', 'sandbox.execute']);
    const execute = children(spans, first).find((span) => span.name === 'sandbox.execute');
    const [batched, sub] = children(spans, execute);
    expect(names([batched!, sub!])).toEqual(['llm_query_batched', 'sub_rlm']);
    const items = children(spans, batched);
    expect(names(items).sort()).toEqual(['llm_query_batched[0]', 'llm_query_batched[1]']);
    for (const item of items) expect(names(children(spans, item))).toEqual(['lm.llm_query']);
    const [childRun] = children(spans, sub);
    expect(childRun?.name).toBe('RLM.run depth=1');
    expect(childRun?.attributes['fleet_rlm.rlm.parent_run_id']).toBe(result.runId);
    for (const span of spans) expect(span.status.code, span.name).toBe(1); // OK
  });

  it('marks the iteration and the run as errors when the model call fails', async () => {
    memory.reset();
    const result = await traced(() =>
      harness.run(
        [{ model: ROOT_MODEL, reply: { status: 401, errorBody: { error: { message: 'bad key' } } } }],
        {
          inputs: { question: 'q' },
        },
      ),
    );
    expect(result.termination.reason).toBe('lm_error');
    const spans = memory.getFinishedSpans();
    const byName = (name: string) => spans.find((span) => span.name === name)!;
    expect(byName('lm.rlm.iteration').status.code).toBe(2);
    expect(byName('RLM.iteration').status).toMatchObject({ code: 2 });
    expect(byName('RLM.iteration').status.message).toContain('lm_error');
    expect(byName('RLM.run').status.code).toBe(2);
  });
});

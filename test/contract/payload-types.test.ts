/**
 * The contract's types, checked by the compiler (`npm run typecheck` runs tsc over the tests):
 * `PayloadOf<K>` is the payload of kind K and nothing else, the emitter takes exactly that,
 * narrowing on `kind` (and on a status's `phase`) reaches each field, and a payload of the wrong
 * kind does not compile. Plus, at run time, that the union and the kind list agree.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type ChatEvent,
  type ChatEventOf,
  chatEvent,
  EVENT_KINDS,
  type EventKind,
  type PayloadInput,
  type PayloadOf,
  type RuntimeContext,
} from '../../src/contract/chat-events.js';
import type { ErrorCode } from '../../src/contract/error-codes.js';
import type { ExecutionStep, PassiveFrameInput, PassiveFrameOf } from '../../src/contract/passive-frames.js';
import type { ExecutionEventEmitter } from '../../src/events/execution-event-emitter.js';

type EmitPayload<K extends EventKind> = Parameters<typeof ExecutionEventEmitter.prototype.emitEvent<K>>[4];
type EmitResult<K extends EventKind> = Awaited<
  ReturnType<typeof ExecutionEventEmitter.prototype.emitEvent<K>>
>;

describe('PayloadOf', () => {
  it('is the payload of one kind', () => {
    expectTypeOf<ChatEventOf<'final'>['payload']>().toEqualTypeOf<PayloadOf<'final'>>();
    expectTypeOf<PayloadOf<'tool_call'>>().toHaveProperty('tool_input');
    expectTypeOf<PayloadOf<'tool_call'>>().toHaveProperty('tool_args');
    expectTypeOf<PayloadOf<'tool_result'>['tool_output']>().toEqualTypeOf<string>();
    expectTypeOf<PayloadOf<'rlm_executing'>['tool_name']>().toEqualTypeOf<string>();
    expectTypeOf<PayloadOf<'trajectory_step'>['step_data']['observation']>().toEqualTypeOf<string>();
    expectTypeOf<PayloadOf<'final'>['mlflow_trace_id']>().toEqualTypeOf<string | null>();
    expectTypeOf<PayloadOf<'error'>['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<PayloadOf<'assistant_token'>['runtime']>().toEqualTypeOf<RuntimeContext>();
    expectTypeOf<PayloadOf<'tool_call'>>().not.toHaveProperty('output');
  });

  it('keeps the status phases apart', () => {
    type Live = Extract<PayloadOf<'status'>, { phase: 'sandbox_output' }>;
    expectTypeOf<Live['stream_text']>().toEqualTypeOf<string>();
    expectTypeOf<Live['stream']>().toEqualTypeOf<'stdout' | 'stderr'>();
    expectTypeOf<Extract<PayloadOf<'status'>, { phase: 'started' }>>().not.toHaveProperty('stream_text');
    // Leaving out `runtime` keeps the union (a plain Omit would merge the phases away).
    expectTypeOf<Extract<PayloadInput<'status'>, { phase: 'sandbox_output' }>>().toHaveProperty(
      'stream_text',
    );
    expectTypeOf<PayloadInput<'status'>>().not.toHaveProperty('runtime');
  });

  it('is what the emitter takes and gives back', () => {
    expectTypeOf<EmitPayload<'tool_result'>>().toEqualTypeOf<PayloadOf<'tool_result'>>();
    expectTypeOf<EmitResult<'final'>>().toEqualTypeOf<ChatEventOf<'final'>>();
    // @ts-expect-error a tool_call payload is not a final payload
    const wrong: EmitPayload<'final'> = {} as PayloadOf<'tool_call'>;
    // @ts-expect-error sandbox output is a status phase, not a kind of its own
    type Gone = PayloadOf<'sandbox_output'>;
    expectTypeOf<Gone>().not.toBeAny();
    expect(wrong).toEqual({});
  });

  it('narrows a chat event by kind', () => {
    expectTypeOf<ChatEvent['kind']>().toEqualTypeOf<EventKind>();
    const narrow = (event: ChatEvent) =>
      event.kind === 'tool_result' ? event.payload.tool_output : undefined;
    expectTypeOf(narrow).returns.toEqualTypeOf<string | undefined>();
  });

  it('types the passive frames by type, event_id included', () => {
    expectTypeOf<PassiveFrameOf<'execution_step'>['step']>().toEqualTypeOf<ExecutionStep>();
    expectTypeOf<PassiveFrameOf<'execution_started'>['event_id']>().toEqualTypeOf<string>();
    expectTypeOf<PassiveFrameInput<'execution_step'>>().not.toHaveProperty('event_id');
    expectTypeOf<PassiveFrameInput<'execution_step'>>().not.toHaveProperty('seq');
  });

  it('lists the same kinds in the union as in the catalogue', () => {
    const inUnion = chatEvent.options.map((option) => option.shape.kind.value);
    expect(inUnion).toEqual(EVENT_KINDS);
  });
});

/**
 * Which tracer instrumented code uses. Several servers can live in one process (tests do that),
 * each with its own span pipeline, so the tracer travels in the OpenTelemetry context: the turn
 * puts its server's tracer there, and everything below — agent, tools, RLM runs, sandbox
 * callbacks, LM calls — finds it with `activeTracer()`. Outside a traced turn this is the API's
 * no-op tracer, so instrumented code never checks whether tracing is on.
 */
import { type Context, context, createContextKey, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Redactor } from './span-helpers.js';

const TRACER_KEY = createContextKey('fleet-rlm tracer');
const REDACTOR_KEY = createContextKey('fleet-rlm redactor');
const TURN_KEY = createContextKey('fleet-rlm turn');
let contextManagerInstalled = false;

/** Async context propagation (AsyncLocalStorage) for the whole process; installed once. */
export function ensureContextManager(): void {
  if (contextManagerInstalled) return;
  contextManagerInstalled = true;
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  // Another library may have installed one already: keep it, both propagate through ALS.
  context.setGlobalContextManager(manager);
}

export function withTracer<T>(tracer: Tracer, redactor: Redactor, fn: () => T): T {
  ensureContextManager();
  return context.with(context.active().setValue(TRACER_KEY, tracer).setValue(REDACTOR_KEY, redactor), fn);
}

export function activeTracer(ctx: Context = context.active()): Tracer {
  return (ctx.getValue(TRACER_KEY) as Tracer | undefined) ?? trace.getTracer('fleet-rlm');
}

export function activeRedactor(ctx: Context = context.active()): Redactor {
  return (ctx.getValue(REDACTOR_KEY) as Redactor | undefined) ?? ((text) => text);
}

/** Who a turn belongs to, for records made deep inside it (LM calls reported to observers). */
export interface TurnScope {
  sessionId: string;
  workspaceId: string;
  userId: string;
}

export function withTurnScope<T>(scope: TurnScope, fn: () => T): T {
  ensureContextManager();
  return context.with(context.active().setValue(TURN_KEY, scope), fn);
}

export function activeTurnScope(ctx: Context = context.active()): TurnScope | undefined {
  return ctx.getValue(TURN_KEY) as TurnScope | undefined;
}

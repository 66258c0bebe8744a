/**
 * Translates what an RLM run tree reports (`RlmEvent`, the engine's own vocabulary) into the
 * agent's (`AgentEvent`), and places each event in the turn's execution tree: the root run hangs
 * under the agent's tool call, iterations under their run, code blocks under their iteration,
 * host callbacks under the code block that made them, child runs and sub-model calls under the
 * callback. Every RLM event says where it happened, so the node keys are built from the event
 * alone: no state is kept here.
 */
import type { RlmEvent } from '../rlm/rlm-types.js';
import type { Actor, AgentEvent, AgentEventSink } from './agent-events.js';

export interface RelayOrigin {
  /** The agent's tool call that started the run tree (`rlm_only` in that mode). */
  callId: string;
  /** Its tool name, which `rlm_executing` reports for the root run. */
  toolName: string;
  /** Which of the call's run trees (`delegate_to_rlm_batched` starts several under one call). */
  lane: number;
  /** The node the root run hangs under. */
  parent: string;
}

/** An `onEvent` for `runRlm` that reports to the agent's sink. */
export function relayRlmEvents(emit: AgentEventSink, origin: RelayOrigin): (event: RlmEvent) => void {
  // RLM run ids (`run-1`, …) are unique only within one tree: the keys carry the call and lane.
  const tree = `rlm/${origin.callId}#${origin.lane}`;
  const run = (runId: string) => `${tree}/${runId}`;
  const iteration = (runId: string, index: number) => `${run(runId)}/i${index}`;
  const block = (runId: string, index: number, position: number) => `${iteration(runId, index)}/b${position}`;
  const callback = (runId: string, callId: string) => `${run(runId)}/c${callId}`;
  return (event) => {
    const runActor: Actor = { kind: event.depth === 0 ? 'root_rlm' : 'sub_agent', id: run(event.runId) };
    const place = { callId: origin.callId, runId: event.runId, depth: event.depth, actor: runActor };
    const sandbox = { ...place, actor: { kind: 'sandbox', id: run(event.runId) } satisfies Actor };
    const translated = ((): AgentEvent | undefined => {
      switch (event.type) {
        case 'run_started':
          return {
            type: 'rlm_run_started',
            ...place,
            node: run(event.runId),
            parent:
              event.parentCall && event.parentRunId
                ? callback(event.parentRunId, event.parentCall.callId)
                : origin.parent,
            startedBy: event.parentCall?.name ?? origin.toolName,
            parentRunId: event.parentRunId ?? null,
            model: event.model,
            question: event.question,
          };
        case 'iteration_started':
          return {
            type: 'rlm_iteration_started',
            ...place,
            node: iteration(event.runId, event.iteration),
            parent: run(event.runId),
            iteration: event.iteration,
          };
        case 'block_started':
          return {
            type: 'code_block_started',
            ...sandbox,
            node: block(event.runId, event.iteration, event.block),
            parent: iteration(event.runId, event.iteration),
            iteration: event.iteration,
            index: event.block,
            code: event.code,
          };
        case 'code_output':
          return {
            type: 'sandbox_output',
            callId: origin.callId,
            stream: event.stream,
            text: event.text,
            run: { runId: event.runId, depth: event.depth, iteration: event.iteration },
          };
        case 'block_finished': {
          const { record } = event;
          const error =
            record.error ??
            (event.sandboxFailure ? { type: 'SandboxError', message: event.sandboxFailure } : undefined);
          return {
            type: 'code_block_finished',
            ...sandbox,
            node: block(event.runId, event.iteration, event.block),
            index: event.block,
            stdout: record.stdout,
            stderr: record.stderr,
            error: error ? { type: error.type, message: error.message } : null,
            submitted: record.final ?? null,
            durationMs: record.durationMs,
          };
        }
        case 'callback_started':
          return {
            type: 'host_call_started',
            ...place,
            node: callback(event.runId, event.callId),
            parent: block(event.runId, event.iteration, event.block),
            name: event.name,
            args: event.args,
          };
        case 'callback_finished':
          return {
            type: 'host_call_finished',
            ...place,
            node: callback(event.runId, event.record.callId),
            name: event.record.name,
            ok: event.record.ok,
            result: event.record.result ?? null,
            error: event.record.error ?? null,
            durationMs: event.record.durationMs,
            degraded: event.record.degraded ?? null,
          };
        case 'lm_call':
          // An iteration's own model call is reported with the iteration.
          if (event.purpose === 'rlm.iteration') return undefined;
          return {
            type: 'sub_lm_call',
            ...place,
            parent: event.callId ? callback(event.runId, event.callId) : run(event.runId),
            purpose: event.purpose,
            model: event.model,
            usage: event.usage,
            latencyMs: event.latencyMs,
          };
        case 'iteration_finished': {
          const { record } = event;
          return {
            type: 'rlm_iteration_finished',
            ...place,
            node: iteration(event.runId, record.iteration),
            iteration: record.iteration,
            reasoning: record.reasoning,
            blocks: record.blocks.map((item) => ({
              code: item.code,
              stdout: item.stdout,
              error: item.error ? `${item.error.type}: ${item.error.message}` : null,
            })),
            submitted: record.submit?.valid ?? false,
            feedback: record.feedback,
            usage: record.lm.usage,
            llmCallsUsed: event.llmCallsUsed,
            maxLlmCalls: event.maxLlmCalls,
            durationMs: record.durationMs,
          };
        }
        case 'run_finished':
          return {
            type: 'rlm_run_finished',
            ...place,
            node: run(event.runId),
            termination: { reason: event.termination.reason, detail: event.termination.detail },
            answer: event.answer,
            usage: event.usage,
            durationMs: event.durationMs,
          };
      }
    })();
    if (translated) emit(translated);
  };
}

/**
 * The executions one driver is running, innermost last: nested exactly as the driver nests them
 * while host calls wait. It owns their host calls (answered inside the caller's async context),
 * their time budgets (only the innermost execution, while its code runs, spends time), and
 * interrupts with the repeat-and-watchdog escalation. DriverSandbox owns everything else.
 */
import { AsyncResource } from 'node:async_hooks';
import type { CallMessage, HostMessage, ResultMessage } from './driver-protocol.js';
import { callErrorValue, emptyResult, toResult } from './execute-result.js';
import type { ExecuteOptions, ExecuteResult, HostCall, HostCallHandler, OutputChunk } from './sandbox.js';

interface InflightCall {
  callId: string;
  controller: AbortController;
}

export interface ActiveExecution {
  id: string;
  options: ExecuteOptions;
  onCall?: HostCallHandler;
  onOutput?: (chunk: OutputChunk) => void;
  resolve(result: ExecuteResult): void;
  call?: InflightCall;
  ranMs: number;
  runningSince?: number;
  timer?: NodeJS.Timeout;
  graceTimer?: NodeJS.Timeout;
  repeatTimer?: NodeJS.Timeout;
  interrupted?: 'timeout' | 'cancelled';
  interruptPending?: boolean;
  rawOutput: string;
  detachSignal?: () => void;
}

export interface ExecutionStackHooks {
  /** Sends a protocol message to the driver, if it is running. */
  send(message: HostMessage): void;
  /** Raises KeyboardInterrupt in whatever code runs right now. */
  interruptRuntime(): void;
  /** An execution ignored its interrupt past the grace period: the runtime must go. */
  onStuck(reason: string): void;
  /** A host call started waiting, so the driver can serve other work. */
  onCallWaiting(): void;
}

const RAW_OUTPUT_LIMIT = 10_000;
const INTERRUPT_REPEAT_MS = 250;

export class ExecutionStack {
  private readonly stack: ActiveExecution[] = [];
  private readonly byId = new Map<string, ActiveExecution>();

  constructor(
    private readonly hooks: ExecutionStackHooks,
    private readonly graceMs: number,
    private readonly defaultTimeoutMs: number,
  ) {}

  static create(
    id: string,
    options: ExecuteOptions,
    resolve: (result: ExecuteResult) => void,
  ): ActiveExecution {
    return {
      id,
      options,
      onCall: options.onCall && AsyncResource.bind(options.onCall),
      onOutput: options.onOutput && AsyncResource.bind(options.onOutput),
      resolve,
      ranMs: 0,
      rawOutput: '',
    };
  }

  /** True when no code runs: the stack is empty or its innermost execution waits on a call. */
  driverIdle(): boolean {
    const top = this.stack.at(-1);
    return !top || top.call !== undefined;
  }

  get(id: string): ActiveExecution | undefined {
    return this.byId.get(id);
  }

  /** Registers an execution that is being sent to the driver now. */
  begin(execution: ActiveExecution): void {
    this.byId.set(execution.id, execution);
    this.stack.push(execution);
    const signal = execution.options.signal;
    if (signal) {
      const onAbort = () => this.interrupt(execution, 'cancelled');
      signal.addEventListener('abort', onAbort, { once: true });
      execution.detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
    this.updateTimers();
  }

  complete(message: ResultMessage, log: (text: string) => void): void {
    const execution = this.byId.get(message.id);
    if (!execution) return; // a repeat: the driver resends if an interrupt lands in its own code
    const index = this.stack.lastIndexOf(execution);
    if (index !== this.stack.length - 1) log(`result for ${message.id} arrived out of nesting order`);
    this.stack.splice(index, 1);
    // The timer fires while the code runs, so its current stretch counts as well.
    const running = execution.runningSince === undefined ? 0 : performance.now() - execution.runningSince;
    this.finish(execution, toResult(message, { ...execution, ranMs: execution.ranMs + running }));
    this.updateTimers();
  }

  /** Ends every execution with the given failure (the runtime died or was shut down). */
  failAll(message: string, stateLost: boolean): void {
    for (const execution of this.stack.splice(0)) {
      this.finish(execution, {
        ...emptyResult(execution.id, execution.interrupted),
        error: { type: 'SandboxRestarted', message, traceback: '' },
        stateLost,
      });
    }
  }

  interruptAll(): void {
    for (const execution of [...this.stack]) this.interrupt(execution, 'cancelled');
  }

  /** Output below sys.stdout belongs to whatever runs innermost; false when nothing runs. */
  rawOutput(stream: 'stdout' | 'stderr', text: string): boolean {
    const top = this.stack.at(-1);
    if (!top) return false;
    if (top.rawOutput.length < RAW_OUTPUT_LIMIT)
      top.rawOutput += text.slice(0, RAW_OUTPUT_LIMIT - top.rawOutput.length);
    top.onOutput?.({ executionId: top.id, stream, text });
    return true;
  }

  onCall(message: CallMessage): void {
    const execution = this.byId.get(message.id);
    const reply = (fields: { result?: unknown; error?: { type: string; message: string } }) =>
      this.hooks.send({ type: 'reply', call_id: message.call_id, ...fields });
    if (!execution) {
      reply({ error: { type: 'ProtocolError', message: `no running execution ${message.id}` } });
      return;
    }
    if (execution.interruptPending || execution.options.signal?.aborted) {
      reply({ error: { type: 'KeyboardInterrupt', message: 'execution interrupted' } });
      return;
    }
    if (!execution.onCall) {
      reply({ error: { type: 'NoHandler', message: `${message.name}() is not available in this sandbox` } });
      return;
    }
    const call: InflightCall = { callId: message.call_id, controller: new AbortController() };
    execution.call = call;
    this.updateTimers();
    this.hooks.onCallWaiting();
    const hostCall: HostCall = {
      executionId: message.id,
      callId: message.call_id,
      name: message.name,
      args: message.args,
    };
    const settle = (fields: { result?: unknown; error?: { type: string; message: string } }) => {
      if (execution.call !== call) return; // answered already (interrupted)
      execution.call = undefined;
      reply(fields);
      this.updateTimers();
    };
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(execution.onCall(hostCall, call.controller.signal));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (result) => settle({ result: result === undefined ? null : result }),
      (error: unknown) => settle({ error: callErrorValue(error) }),
    );
  }

  interrupt(execution: ActiveExecution, reason: 'timeout' | 'cancelled'): void {
    if (!this.byId.has(execution.id) || execution.interrupted) return;
    execution.interrupted = reason;
    clearTimeout(execution.timer);
    if (execution.call) {
      // Blocked in a host call: abort the handler and answer the call now; a late answer is dropped.
      const call = execution.call;
      execution.call = undefined;
      call.controller.abort(new Error(`execution ${reason}`));
      this.hooks.send({
        type: 'reply',
        call_id: call.callId,
        error: { type: 'KeyboardInterrupt', message: reason },
      });
      this.escalate(execution);
      this.updateTimers();
      return;
    }
    if (this.stack.at(-1) !== execution) {
      execution.interruptPending = true; // paused under a nested execution; deliver when it resumes
      return;
    }
    this.hooks.interruptRuntime();
    this.escalate(execution);
  }

  private finish(execution: ActiveExecution, result: ExecuteResult): void {
    clearTimeout(execution.timer);
    clearTimeout(execution.graceTimer);
    clearInterval(execution.repeatTimer);
    execution.detachSignal?.();
    execution.call?.controller.abort();
    this.byId.delete(execution.id);
    execution.resolve(result);
  }

  /** Only the innermost execution, while it runs code (no call pending), spends its time budget. */
  private updateTimers(): void {
    const now = performance.now();
    const top = this.stack.at(-1);
    for (const execution of this.stack) {
      const running = execution === top && execution.call === undefined;
      if (running && execution.runningSince === undefined) {
        execution.runningSince = now;
        if (execution.interruptPending) {
          execution.interruptPending = false;
          this.hooks.interruptRuntime();
          this.escalate(execution);
          continue;
        }
        const limit = execution.options.timeoutMs ?? this.defaultTimeoutMs;
        if (!execution.interrupted) {
          execution.timer = setTimeout(
            () => this.interrupt(execution, 'timeout'),
            Math.max(0, limit - execution.ranMs),
          );
        }
      } else if (!running && execution.runningSince !== undefined) {
        execution.ranMs += now - execution.runningSince;
        execution.runningSince = undefined;
        clearTimeout(execution.timer);
      }
    }
  }

  /**
   * Keeps interrupting until the code stops. An interrupt that lands before the code starts
   * (the driver still reading the execute line, e.g. on a starved machine) looks stale to the
   * driver, which drops it; so does code that catches KeyboardInterrupt and carries on. The
   * watchdog ends it if the repeats do not.
   */
  private escalate(execution: ActiveExecution): void {
    clearInterval(execution.repeatTimer);
    execution.repeatTimer = setInterval(
      () => {
        if (this.stack.at(-1) === execution && execution.call === undefined) this.hooks.interruptRuntime();
      },
      Math.max(50, Math.min(INTERRUPT_REPEAT_MS, this.graceMs / 4)),
    );
    clearTimeout(execution.graceTimer);
    execution.graceTimer = setTimeout(() => {
      if (this.byId.has(execution.id)) {
        this.hooks.onStuck(`execution ${execution.id} ignored its interrupt for ${this.graceMs} ms`);
      }
    }, this.graceMs);
  }
}

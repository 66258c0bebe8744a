/**
 * The executions one driver is running, innermost last: nested exactly as the driver nests them
 * while host calls wait. It owns their host calls (answered inside the caller's async context),
 * their time budgets (only the innermost execution, while its code runs, spends time), their
 * byte budgets (everything the sandbox sends is charged to the execution it names, or to the
 * innermost one), and interrupts with the repeat-and-watchdog escalation. DriverSandbox owns
 * everything else.
 */
import { AsyncResource } from 'node:async_hooks';
import type { CallMessage, HostMessage, OutputMessage, ResultMessage } from './driver-protocol.js';
import { callErrorValue, emptyResult, toResult } from './execute-result.js';
import { ExecutionBudget, type SandboxLimits } from './execution-budget.js';
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
  /** Why the host stopped it: a budget ran out (the error it ends with). */
  stopped?: string;
  /** An interrupt was sent (for a timeout, a cancel or a budget); later ones add nothing. */
  interrupting?: boolean;
  interruptPending?: boolean;
  rawOutput: string;
  budget: ExecutionBudget;
  detachSignal?: () => void;
}

export interface ExecutionStackHooks {
  /** Sends a protocol message to the driver, if it is running. */
  send(message: HostMessage): void;
  /** Raises KeyboardInterrupt in whatever code runs right now. */
  interruptRuntime(): void;
  /** The runtime must go (code ignored its interrupt, or left work running): start a fresh one. */
  restartRuntime(reason: string): void;
  /** A host call started waiting, so the driver can serve other work. */
  onCallWaiting(): void;
  /** The last running execution ended: what the runtime still runs besides the driver, if anything. */
  leftovers(): string | undefined;
  /** Bytes from the sandbox that no running execution can be charged with. */
  stray(what: string, bytes: number, sample?: string): void;
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
    limits: SandboxLimits,
  ): ActiveExecution {
    return {
      id,
      options,
      onCall: options.onCall && AsyncResource.bind(options.onCall),
      onOutput: options.onOutput && AsyncResource.bind(options.onOutput),
      resolve,
      ranMs: 0,
      rawOutput: '',
      budget: new ExecutionBudget(limits),
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

  complete(message: ResultMessage, bytes: number, log: (text: string) => void): void {
    const execution = this.byId.get(message.id);
    if (!execution) {
      // A repeat (the driver resends if an interrupt lands in its own code), or a forgery.
      this.unaccepted('result line', bytes);
      return;
    }
    execution.budget.other(bytes);
    execution.stopped ??= execution.budget.exceeded; // a result too big to take
    const index = this.stack.lastIndexOf(execution);
    if (index !== this.stack.length - 1) log(`result for ${message.id} arrived out of nesting order`);
    this.stack.splice(index, 1);
    // The timer fires while the code runs, so its current stretch counts as well.
    const running = execution.runningSince === undefined ? 0 : performance.now() - execution.runningSince;
    const result = toResult(message, { ...execution, ranMs: execution.ranMs + running });
    // Nothing may outlive the code that started it: check before anything else can run.
    const leftovers = this.stack.length === 0 ? this.hooks.leftovers() : undefined;
    if (leftovers) {
      result.stateLost = true;
      result.stderr += `${result.stderr && !result.stderr.endsWith('\n') ? '\n' : ''}[sandbox] this code left ${leftovers} running after it finished; the sandbox was restarted to stop it, and every variable was lost\n`;
    }
    this.finish(execution, result);
    this.updateTimers();
    if (leftovers) this.hooks.restartRuntime(`execution ${execution.id} left ${leftovers} running`);
  }

  /** Ends every execution with the given failure (the runtime died or was shut down). */
  failAll(message: string, stateLost: boolean): void {
    for (const execution of this.stack.splice(0)) {
      const error = execution.stopped
        ? { type: 'SandboxLimitExceeded', message: `${execution.stopped}. ${message}`, traceback: '' }
        : { type: 'SandboxRestarted', message, traceback: '' };
      this.finish(execution, { ...emptyResult(execution.id, execution.interrupted), error, stateLost });
    }
  }

  get idle(): boolean {
    return this.stack.length === 0;
  }

  interruptAll(): void {
    for (const execution of [...this.stack]) this.interrupt(execution, 'cancelled');
  }

  /** Output below sys.stdout belongs to whatever runs innermost. */
  rawOutput(stream: 'stdout' | 'stderr', text: string): void {
    const top = this.stack.at(-1);
    if (!top) {
      this.hooks.stray(stream, text.length, text);
      return;
    }
    if (top.rawOutput.length < RAW_OUTPUT_LIMIT)
      top.rawOutput += text.slice(0, RAW_OUTPUT_LIMIT - top.rawOutput.length);
    this.forward(top, stream, text, text.length);
  }

  /** An `output` line, charged to the execution it names (the driver sends it for that one). */
  output(message: OutputMessage, bytes: number): void {
    const execution = this.byId.get(message.id);
    if (!execution) this.unaccepted('output line', bytes);
    else this.forward(execution, message.stream, message.text, bytes);
  }

  /** A line the host does not take (malformed, unknown, out of turn): charged to the innermost execution. */
  unaccepted(what: string, bytes: number, sample?: string): void {
    const top = this.stack.at(-1);
    if (!top) {
      this.hooks.stray(what, bytes, sample);
      return;
    }
    top.budget.other(bytes);
    this.stopIfOverBudget(top);
  }

  private forward(
    execution: ActiveExecution,
    stream: 'stdout' | 'stderr',
    text: string,
    bytes: number,
  ): void {
    const live = execution.budget.output(text, bytes);
    if (live) execution.onOutput?.({ executionId: execution.id, stream, text: live });
    this.stopIfOverBudget(execution);
  }

  private stopIfOverBudget(execution: ActiveExecution): void {
    if (execution.stopped || !execution.budget.exceeded) return;
    execution.stopped = execution.budget.exceeded;
    this.interrupt(execution, 'limit');
  }

  onCall(message: CallMessage, bytes: number): void {
    const execution = this.byId.get(message.id);
    const reply = (fields: { result?: unknown; error?: { type: string; message: string } }) =>
      this.hooks.send({ type: 'reply', call_id: message.call_id, ...fields });
    if (!execution) {
      this.unaccepted('call line', Math.max(bytes, 1024)); // it is answered, so it costs the host
      reply({ error: { type: 'ProtocolError', message: `no running execution ${message.id}` } });
      return;
    }
    if (execution !== this.stack.at(-1) || execution.call) {
      // The driver waits for each reply, so only the innermost execution, with no call pending,
      // can make a call: this line was forged. Nobody waits for an answer.
      this.unaccepted('call out of turn', bytes);
      return;
    }
    if (!execution.budget.call(bytes) || execution.stopped) {
      execution.stopped ??= execution.budget.exceeded;
      reply({ error: { type: 'KeyboardInterrupt', message: execution.stopped ?? 'execution stopped' } });
      this.interrupt(execution, 'limit');
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

  /** Stops the code; a `limit` stop leaves `interrupted` unset, since its error names the cause. */
  interrupt(execution: ActiveExecution, reason: 'timeout' | 'cancelled' | 'limit'): void {
    if (!this.byId.has(execution.id) || execution.interrupting) return;
    execution.interrupting = true;
    if (reason !== 'limit') execution.interrupted = reason;
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
        if (!execution.interrupting) {
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
        this.hooks.restartRuntime(`execution ${execution.id} ignored its interrupt for ${this.graceMs} ms`);
      }
    }, this.graceMs);
  }
}

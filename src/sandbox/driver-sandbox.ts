/**
 * The host half of the driver protocol, shared by every provider that runs `driver.py`.
 *
 * It owns: the stack of executions (nested while a call waits, exactly as the driver nests
 * them), dispatch of new work only when the driver can take it, host-call handling inside the
 * caller's async context, per-execution timeouts that exclude time spent in host calls,
 * interrupts, and the watchdog that restarts a runtime stuck past its interrupt grace period.
 * Transports (worker thread, child process, ...) only move protocol lines.
 */
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import {
  type CallMessage,
  DRIVER_PROTOCOL_VERSION,
  type DriverMessage,
  type HostMessage,
  parseDriverMessage,
  type ResultMessage,
} from './driver-protocol.js';
import type { DriverTransport, TransportFactory } from './driver-transport.js';
import { encodeVariable } from './encode-variable.js';
import { callErrorValue, emptyResult, errorText, toResult } from './execute-result.js';
import type {
  ExecuteOptions,
  ExecuteResult,
  HostCall,
  HostCallHandler,
  OutputChunk,
  Sandbox,
  SandboxLifecycleEvent,
  SandboxProvider,
  SandboxStats,
  ToolDefinition,
  VariableValue,
} from './sandbox.js';
import { SandboxError } from './sandbox-error.js';

export interface DriverSandboxOptions {
  startTimeoutMs?: number;
  /** How long interrupted code gets to stop before the runtime is restarted. */
  interruptGraceMs?: number;
  defaultTimeoutMs?: number;
  log?: (message: string) => void;
}

interface InflightCall {
  callId: string;
  controller: AbortController;
}

interface ActiveExecution {
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

interface PendingRequest {
  resolve(): void;
  reject(error: Error): void;
}

/** Work waiting for the driver to be free; `fail` runs instead if the sandbox shuts down. */
interface QueuedWork {
  run(): void;
  fail(error: Error): void;
}

const RAW_OUTPUT_LIMIT = 10_000;
const INTERRUPT_REPEAT_MS = 250;

export class DriverSandbox implements Sandbox {
  readonly id = `sbx-${randomUUID().slice(0, 8)}`;
  private transport?: DriverTransport;
  private starting?: Promise<void>;
  private generation = 0;
  private helloWaiter?: { resolve(): void; reject(error: Error): void };
  private readonly stack: ActiveExecution[] = [];
  private readonly executions = new Map<string, ActiveExecution>();
  private readonly requests = new Map<string, PendingRequest>();
  private readonly queue: QueuedWork[] = [];
  private readonly listeners = new Set<(event: SandboxLifecycleEvent) => void>();
  private readonly tools = new Map<string, ToolDefinition>();
  private readonly counters = { executions: 0, restarts: 0, memoryBytes: undefined as number | undefined };
  private closed = false;
  private seq = 0;
  private interrupts = 0;
  private readonly startTimeoutMs: number;
  private readonly graceMs: number;
  private readonly defaultTimeoutMs: number;

  constructor(
    readonly provider: SandboxProvider,
    private readonly createTransport: TransportFactory,
    private readonly options: DriverSandboxOptions = {},
  ) {
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.graceMs = options.interruptGraceMs ?? 2_000;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 120_000;
  }

  get alive(): boolean {
    return !this.closed;
  }

  // ------------------------------------------------------------------------------ lifecycle

  start(): Promise<void> {
    if (this.closed) return Promise.reject(new SandboxError('shut_down', `sandbox ${this.id} is shut down`));
    if (this.transport && !this.starting) return Promise.resolve();
    this.starting ??= this.spawn().finally(() => {
      this.starting = undefined;
      // Work queued while the runtime (re)started can go now; nothing else would send it.
      this.pump();
    });
    return this.starting;
  }

  private async spawn(): Promise<void> {
    const generation = ++this.generation;
    const started = performance.now();
    const hello = new Promise<void>((resolve, reject) => {
      this.helloWaiter = { resolve, reject };
    });
    // The runtime can die (or the sandbox be shut down) before anyone awaits `hello`.
    hello.catch(() => {});
    const current = () => generation === this.generation;
    let transport: DriverTransport;
    try {
      transport = await this.createTransport({
        onLine: (text) => current() && this.onLine(text),
        onExit: (reason) => current() && this.onRuntimeExit(reason),
        onRawOutput: (stream, text) => current() && this.onRawOutput(stream, text),
        onMemory: (bytes) => {
          if (current()) this.counters.memoryBytes = bytes;
        },
      });
    } catch (error) {
      if (current()) this.helloWaiter = undefined;
      throw new SandboxError(
        'start_failed',
        `${this.provider} sandbox failed to start: ${errorText(error)}`,
        {
          cause: error,
        },
      );
    }
    if (!current()) {
      // Shut down, or the runtime exited, while the transport came up: never keep it running.
      await transport.terminate().catch(() => {});
      await hello;
      throw new SandboxError('start_failed', `${this.provider} sandbox stopped while starting`);
    }
    this.transport = transport;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SandboxError(
              'start_failed',
              `${this.provider} sandbox did not start within ${this.startTimeoutMs} ms`,
            ),
          ),
        this.startTimeoutMs,
      );
    });
    try {
      await Promise.race([hello, timeout]);
    } catch (error) {
      if (this.transport === transport) this.transport = undefined;
      if (current()) this.helloWaiter = undefined;
      await transport.terminate().catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (this.tools.size > 0) this.sendTools(); // a restarted driver must offer the same tools
    this.emit({ type: 'ready', sandboxId: this.id, startMs: performance.now() - started });
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const transport = this.transport;
    this.transport = undefined;
    this.generation++;
    this.helloWaiter?.reject(
      new SandboxError('shut_down', `sandbox ${this.id} was shut down while starting`),
    );
    this.helloWaiter = undefined;
    this.failEverything(new SandboxError('shut_down', `sandbox ${this.id} was shut down`), false);
    if (transport) {
      try {
        transport.send({ type: 'shutdown' });
      } catch {
        // already gone
      }
      await transport.terminate();
    }
    await this.starting?.catch(() => {}); // a runtime still coming up is terminated by spawn()
    this.emit({ type: 'stopped', sandboxId: this.id, reason: 'shutdown' });
  }

  onLifecycle(listener: (event: SandboxLifecycleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): SandboxStats {
    return { ...this.counters };
  }

  private emit(event: SandboxLifecycleEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  // ------------------------------------------------------------------------------ requests

  async execute(options: ExecuteOptions): Promise<ExecuteResult> {
    // interrupt() also stops executions asked for before it but not sent to the driver yet
    // (still waiting for the start or in the queue): nothing may run after an interrupt that
    // was requested before it, e.g. code a pool lessee left behind when it released the sandbox.
    const epoch = this.interrupts;
    const cancelled = () => options.signal?.aborted || epoch !== this.interrupts;
    await this.start();
    const id = `e${++this.seq}`;
    return new Promise<ExecuteResult>((resolve) => {
      const execution: ActiveExecution = {
        id,
        options,
        onCall: options.onCall && AsyncResource.bind(options.onCall),
        onOutput: options.onOutput && AsyncResource.bind(options.onOutput),
        resolve,
        ranMs: 0,
        rawOutput: '',
      };
      if (cancelled()) {
        resolve(emptyResult(id, 'cancelled'));
        return;
      }
      const run = () => {
        if (cancelled()) {
          resolve(emptyResult(id, 'cancelled'));
          return;
        }
        this.counters.executions++;
        this.executions.set(id, execution);
        this.stack.push(execution);
        if (options.signal) {
          const onAbort = () => this.interruptExecution(execution, 'cancelled');
          options.signal.addEventListener('abort', onAbort, { once: true });
          execution.detachSignal = () => options.signal?.removeEventListener('abort', onAbort);
        }
        this.send({
          type: 'execute',
          id,
          context: options.context,
          code: options.code,
          ...(options.maxOutputChars ? { max_output_chars: options.maxOutputChars } : {}),
          ...(options.outputFields ? { output_fields: options.outputFields } : {}),
        });
        this.updateTimers();
      };
      this.enqueue({
        run,
        fail: (error) =>
          resolve({
            ...emptyResult(id),
            error: { type: 'SandboxError', message: error.message, traceback: '' },
          }),
      });
    });
  }

  setVariable(context: string, name: string, value: VariableValue): Promise<void> {
    const encoded = encodeVariable(value);
    return this.request((id) => ({ type: 'set_var', id, context, name, ...encoded.fields }), encoded.payload);
  }

  reset(context?: string): Promise<void> {
    return this.request((id) => ({ type: 'reset', id, context: context ?? '*' }));
  }

  async registerTools(tools: ToolDefinition[]): Promise<void> {
    await this.request((id) => ({ type: 'register_tools', id, tools }));
    for (const tool of tools) this.tools.set(tool.name, tool);
  }

  /** Registers the known tools again on a fresh driver, before any queued work reaches it. */
  private sendTools(): void {
    const id = `r${++this.seq}`;
    this.requests.set(id, {
      resolve: () => {},
      reject: (error) => this.log(`re-registering tools failed: ${error.message}`),
    });
    this.send({ type: 'register_tools', id, tools: [...this.tools.values()] });
  }

  interrupt(): void {
    this.interrupts++;
    for (const execution of [...this.stack]) this.interruptExecution(execution, 'cancelled');
  }

  private async request(build: (id: string) => HostMessage, payload?: Uint8Array): Promise<void> {
    await this.start();
    const id = `r${++this.seq}`;
    return new Promise<void>((resolve, reject) => {
      this.enqueue({
        run: () => {
          this.requests.set(id, { resolve, reject });
          this.send(build(id), payload);
        },
        fail: reject,
      });
    });
  }

  /** Work goes to the driver only when no Python code is running (or it waits on a call). */
  private enqueue(work: QueuedWork): void {
    this.queue.push(work);
    this.pump();
  }

  private driverFree(): boolean {
    if (!this.transport || this.starting) return false;
    const top = this.stack.at(-1);
    return !top || top.call !== undefined;
  }

  private pump(): void {
    while (this.queue.length > 0 && this.driverFree()) this.queue.shift()!.run();
  }

  private send(message: HostMessage, payload?: Uint8Array): void {
    if (!this.transport) throw new SandboxError('crashed', `sandbox ${this.id} is not running`);
    this.transport.send(message, payload);
  }

  // ------------------------------------------------------------------------------ messages

  private onLine(text: string): void {
    const parsed = parseDriverMessage(text);
    if (!parsed.ok) {
      this.log(`ignoring malformed driver line (${parsed.error}): ${text.slice(0, 200)}`);
      return;
    }
    this.onMessage(parsed.message);
  }

  private onMessage(message: DriverMessage): void {
    switch (message.type) {
      case 'hello': {
        const waiter = this.helloWaiter;
        this.helloWaiter = undefined;
        if (message.protocol !== DRIVER_PROTOCOL_VERSION) {
          waiter?.reject(
            new SandboxError(
              'protocol_error',
              `driver speaks protocol ${message.protocol}, host expects ${DRIVER_PROTOCOL_VERSION}`,
            ),
          );
        } else waiter?.resolve();
        return;
      }
      case 'output': {
        const execution = this.executions.get(message.id);
        execution?.onOutput?.({ executionId: message.id, stream: message.stream, text: message.text });
        return;
      }
      case 'call':
        this.onCall(message);
        return;
      case 'result':
        this.onResult(message);
        return;
      case 'ack': {
        const request = message.id ? this.requests.get(message.id) : undefined;
        if (!request || !message.id) return;
        this.requests.delete(message.id);
        if (message.error) {
          request.reject(
            new SandboxError('request_failed', `${message.error.type}: ${message.error.message}`),
          );
        } else request.resolve();
        this.pump();
        return;
      }
    }
  }

  private onCall(message: CallMessage): void {
    const execution = this.executions.get(message.id);
    const reply = (fields: { result?: unknown; error?: { type: string; message: string } }) => {
      if (this.transport) this.send({ type: 'reply', call_id: message.call_id, ...fields });
    };
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
    const controller = new AbortController();
    const call: InflightCall = { callId: message.call_id, controller };
    execution.call = call;
    this.updateTimers();
    this.pump(); // the driver serves other work while this call waits
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
      pending = Promise.resolve(execution.onCall(hostCall, controller.signal));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (result) => settle({ result: result === undefined ? null : result }),
      (error: unknown) => settle({ error: callErrorValue(error) }),
    );
  }

  private onResult(message: ResultMessage): void {
    const execution = this.executions.get(message.id);
    if (!execution) return; // a repeat: the driver resends if an interrupt lands in its own code
    const index = this.stack.lastIndexOf(execution);
    if (index !== this.stack.length - 1) this.log(`result for ${message.id} arrived out of nesting order`);
    this.stack.splice(index, 1);
    // The timer fires while the code runs, so its current stretch counts as well.
    const running = execution.runningSince === undefined ? 0 : performance.now() - execution.runningSince;
    this.finish(execution, toResult(message, { ...execution, ranMs: execution.ranMs + running }));
    this.updateTimers();
    this.pump();
  }

  private finish(execution: ActiveExecution, result: ExecuteResult): void {
    clearTimeout(execution.timer);
    clearTimeout(execution.graceTimer);
    clearInterval(execution.repeatTimer);
    execution.detachSignal?.();
    execution.call?.controller.abort();
    this.executions.delete(execution.id);
    execution.resolve(result);
  }

  private onRawOutput(stream: 'stdout' | 'stderr', text: string): void {
    const top = this.stack.at(-1);
    if (!top) {
      this.log(`sandbox ${stream}: ${text.slice(0, 500)}`);
      return;
    }
    if (top.rawOutput.length < RAW_OUTPUT_LIMIT)
      top.rawOutput += text.slice(0, RAW_OUTPUT_LIMIT - top.rawOutput.length);
    top.onOutput?.({ executionId: top.id, stream, text });
  }

  // ------------------------------------------------------------------------------ time & interrupts

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
          this.deliverInterrupt(execution);
          continue;
        }
        const limit = execution.options.timeoutMs ?? this.defaultTimeoutMs;
        if (!execution.interrupted) {
          execution.timer = setTimeout(
            () => this.interruptExecution(execution, 'timeout'),
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

  private interruptExecution(execution: ActiveExecution, reason: 'timeout' | 'cancelled'): void {
    if (!this.executions.has(execution.id) || execution.interrupted) return;
    execution.interrupted = reason;
    clearTimeout(execution.timer);
    if (execution.call) {
      // Blocked in a host call: abort the handler and answer the call now; a late answer is dropped.
      const call = execution.call;
      execution.call = undefined;
      call.controller.abort(new Error(`execution ${reason}`));
      if (this.transport) {
        this.send({
          type: 'reply',
          call_id: call.callId,
          error: { type: 'KeyboardInterrupt', message: reason },
        });
      }
      this.armWatchdog(execution);
      this.updateTimers();
      return;
    }
    if (this.stack.at(-1) !== execution) {
      execution.interruptPending = true; // paused under a nested execution; deliver when it resumes
      return;
    }
    this.deliverInterrupt(execution);
  }

  private deliverInterrupt(execution: ActiveExecution): void {
    this.transport?.interrupt();
    this.armWatchdog(execution);
  }

  /**
   * Keeps interrupting until the code stops. An interrupt that lands before the code starts
   * (the driver still reading the execute line, e.g. on a starved machine) looks stale to the
   * driver, which drops it; so does code that catches KeyboardInterrupt and carries on. The
   * watchdog below ends it if the repeats do not.
   */
  private armWatchdog(execution: ActiveExecution): void {
    clearInterval(execution.repeatTimer);
    execution.repeatTimer = setInterval(
      () => {
        if (this.stack.at(-1) === execution && execution.call === undefined) this.transport?.interrupt();
      },
      Math.max(50, Math.min(INTERRUPT_REPEAT_MS, this.graceMs / 4)),
    );
    clearTimeout(execution.graceTimer);
    execution.graceTimer = setTimeout(() => {
      if (this.executions.has(execution.id)) {
        void this.restart(`execution ${execution.id} ignored its interrupt for ${this.graceMs} ms`);
      }
    }, this.graceMs);
  }

  // ------------------------------------------------------------------------------ failure

  private onRuntimeExit(reason: string): void {
    if (this.closed) return;
    this.transport = undefined;
    this.generation++; // nothing more from the dead runtime counts
    if (this.helloWaiter) {
      // Died while starting: that start fails; it is not a restart.
      this.helloWaiter.reject(
        new SandboxError('start_failed', `${this.provider} sandbox exited during start: ${reason}`),
      );
      this.helloWaiter = undefined;
      return;
    }
    this.failEverything(new SandboxError('crashed', `${this.provider} sandbox exited: ${reason}`), true);
    this.counters.restarts++;
    this.emit({ type: 'restarted', sandboxId: this.id, reason });
    this.restartForQueuedWork();
  }

  /** Watchdog: the runtime is stuck (e.g. in a C loop); kill it and start a fresh one. */
  private async restart(reason: string): Promise<void> {
    if (this.closed) return;
    this.counters.restarts++;
    const transport = this.transport;
    this.transport = undefined;
    this.generation++;
    this.log(`restarting ${this.provider} sandbox ${this.id}: ${reason}`);
    this.failEverything(new SandboxError('crashed', reason), true);
    this.emit({ type: 'restarted', sandboxId: this.id, reason });
    await transport?.terminate().catch(() => {});
    this.restartForQueuedWork();
  }

  /** Work that was waiting for the old runtime runs on a fresh one, or fails if none starts. */
  private restartForQueuedWork(): void {
    if (this.queue.length === 0 || this.closed) return;
    this.start().catch((error: Error) => {
      this.log(`restart failed: ${errorText(error)}`);
      for (const work of this.queue.splice(0)) work.fail(error);
    });
  }

  private failEverything(error: SandboxError, stateLost: boolean): void {
    for (const execution of this.stack.splice(0)) {
      this.finish(execution, {
        ...emptyResult(execution.id, execution.interrupted),
        error: {
          type: 'SandboxRestarted',
          message: `${error.message}. The sandbox was restarted and every variable was lost.`,
          traceback: '',
        },
        stateLost,
      });
    }
    for (const [id, request] of this.requests) {
      this.requests.delete(id);
      request.reject(error);
    }
    if (this.closed) {
      for (const work of this.queue.splice(0)) work.fail(error);
    }
  }

  private log(message: string): void {
    this.options.log?.(message);
  }
}

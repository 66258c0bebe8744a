/**
 * The host half of the driver protocol, shared by every provider that runs `driver.py`.
 *
 * It owns the runtime's lifecycle (start, hello, shutdown, restart after a crash, when the
 * watchdog gives up on stuck code, when code leaves threads or processes behind, or when the
 * sandbox sends an oversized line or floods while no code runs), the queue that sends new work
 * only when the driver can take it, and the dispatch of driver messages. The running
 * executions, their host calls, timeouts, budgets and interrupts live in ExecutionStack;
 * transports (worker thread, child process, ...) only move protocol lines.
 */
import { randomUUID } from 'node:crypto';
import { type DriverMessage, type HostMessage, parseDriverMessage } from './driver-protocol.js';
import { DriverReplies } from './driver-replies.js';
import type { DriverTransport, TransportFactory } from './driver-transport.js';
import { encodeVariable } from './encode-variable.js';
import { emptyResult, errorText, reportRestartBefore } from './execute-result.js';
import { megabytes, resolveLimits, type SandboxLimits } from './execution-budget.js';
import { ExecutionStack } from './execution-stack.js';
import type {
  ExecuteOptions,
  ExecuteResult,
  Sandbox,
  SandboxLifecycleEvent,
  SandboxProvider,
  SandboxStats,
  ToolDefinition,
  VariableValue,
} from './sandbox.js';
import { SandboxError } from './sandbox-error.js';
import { StrayOutput } from './stray-output.js';

export interface DriverSandboxOptions extends Partial<SandboxLimits> {
  startTimeoutMs?: number;
  /** How long interrupted code gets to stop before the runtime is restarted. */
  interruptGraceMs?: number;
  defaultTimeoutMs?: number;
  log?: (message: string) => void;
  /** Told of every execution as it starts (the server's metrics count them). */
  onExecute?: (provider: SandboxProvider) => void;
}

/** Work waiting for the driver to be free; `fail` runs instead if the sandbox shuts down. */
interface QueuedWork {
  run(): void;
  fail(error: Error): void;
}

export class DriverSandbox implements Sandbox {
  readonly id = `sbx-${randomUUID().slice(0, 8)}`;
  private transport?: DriverTransport;
  private starting?: Promise<void>;
  private generation = 0;
  private readonly executions: ExecutionStack;
  private readonly replies = new DriverReplies();
  private readonly queue: QueuedWork[] = [];
  private readonly listeners = new Set<(event: SandboxLifecycleEvent) => void>();
  private readonly tools = new Map<string, ToolDefinition>();
  private readonly counters = { executions: 0, restarts: 0, memoryBytes: undefined as number | undefined };
  private closed = false;
  private seq = 0;
  private interrupts = 0;
  private readonly startTimeoutMs: number;
  /** The previous runtime, being killed by a restart. */
  private stopping?: Promise<void>;
  private readonly limits: SandboxLimits;
  private readonly stray: StrayOutput;
  /** Malformed lines logged since the last execution began (a flood of them is not). */
  private malformedLogged = 0;
  /** Why the runtime was restarted while no code ran: the next execution's result says so. */
  private unreportedRestart?: string;

  constructor(
    readonly provider: SandboxProvider,
    private readonly createTransport: TransportFactory,
    private readonly options: DriverSandboxOptions = {},
  ) {
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.limits = resolveLimits(options);
    this.stray = new StrayOutput((message) => this.log(message));
    this.executions = new ExecutionStack(
      {
        send: (message) => {
          if (this.transport) this.send(message);
        },
        interruptRuntime: () => this.transport?.interrupt(),
        // Reported by the stack itself, on the executions it fails or the result it completes.
        restartRuntime: (reason) => void this.restart(reason, true),
        onCallWaiting: () => this.pump(), // the driver serves other work while a call waits
        leftovers: () => this.transport?.leftovers?.(),
        stray: (what, bytes, sample) => {
          if (this.stray.add(what, bytes, sample)) {
            void this.restart(
              `the sandbox kept sending output while no code was running (more than ${megabytes(this.stray.limitBytes)})`,
            );
          }
        },
      },
      options.interruptGraceMs ?? 2_000,
      options.defaultTimeoutMs ?? 120_000,
    );
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
    // A runtime being killed may still run what its code left behind: it goes first.
    await this.stopping;
    if (this.closed) throw new SandboxError('shut_down', `sandbox ${this.id} is shut down`);
    const generation = ++this.generation;
    const started = performance.now();
    const hello = this.replies.expectHello();
    const current = () => generation === this.generation;
    let transport: DriverTransport;
    try {
      transport = await this.createTransport({
        onLine: (text) => current() && this.onLine(text),
        maxLineBytes: this.limits.maxLineBytes,
        onOversizedLine: (bytes) => {
          if (!current()) return;
          const reason = `the sandbox sent a protocol line larger than ${megabytes(this.limits.maxLineBytes)} (${megabytes(bytes)} or more; SANDBOX_MAX_LINE_BYTES); it was dropped`;
          // While starting, the start fails (spawn() ends the runtime); later, a restart.
          if (!this.replies.failStart(new SandboxError('start_failed', reason))) void this.restart(reason);
        },
        onExit: (reason) => current() && this.onRuntimeExit(reason),
        onRawOutput: (stream, text) => current() && this.onRawOutput(stream, text),
        onMemory: (bytes) => {
          if (current()) this.counters.memoryBytes = bytes;
        },
      });
    } catch (error) {
      if (current()) this.replies.forgetHello();
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
      if (current()) this.replies.forgetHello();
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
    this.replies.failStart(new SandboxError('shut_down', `sandbox ${this.id} was shut down while starting`));
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
      let lostBefore: string | undefined;
      const execution = ExecutionStack.create(
        id,
        options,
        (result) => resolve(lostBefore ? reportRestartBefore(result, lostBefore) : result),
        this.limits,
      );
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
        this.options.onExecute?.(this.provider);
        lostBefore = this.unreportedRestart;
        this.unreportedRestart = undefined;
        this.stray.reset();
        this.malformedLogged = 0;
        this.executions.begin(execution);
        this.send({
          type: 'execute',
          id,
          context: options.context,
          code: options.code,
          ...(options.maxOutputChars ? { max_output_chars: options.maxOutputChars } : {}),
          ...(options.outputFields ? { output_fields: options.outputFields } : {}),
        });
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
    this.replies.expect(id, {
      resolve: () => {},
      reject: (error) => this.log(`re-registering tools failed: ${error.message}`),
    });
    this.send({ type: 'register_tools', id, tools: [...this.tools.values()] });
  }

  interrupt(): void {
    this.interrupts++;
    this.executions.interruptAll();
  }

  private async request(build: (id: string) => HostMessage, payload?: Uint8Array): Promise<void> {
    await this.start();
    const id = `r${++this.seq}`;
    return new Promise<void>((resolve, reject) => {
      this.enqueue({
        run: () => {
          this.replies.expect(id, { resolve, reject });
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
    return this.transport !== undefined && !this.starting && this.executions.driverIdle();
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
    const bytes = text.length;
    const parsed = parseDriverMessage(text);
    if (!parsed.ok) {
      if (!this.executions.idle && this.malformedLogged++ < 3)
        this.log(`ignoring malformed driver line (${parsed.error.slice(0, 200)}): ${text.slice(0, 200)}`);
      this.executions.unaccepted('malformed line', bytes, text.slice(0, 200));
      return;
    }
    this.onMessage(parsed.message, bytes);
  }

  /** Every message is charged by its line's size; lines the host did not ask for count as output. */
  private onMessage(message: DriverMessage, bytes: number): void {
    switch (message.type) {
      case 'hello':
      case 'ack':
        if (!this.replies.settle(message)) this.executions.unaccepted(`${message.type} line`, bytes);
        else if (message.type === 'ack') this.pump();
        return;
      case 'output':
        this.executions.output(message, bytes);
        return;
      case 'call':
        this.executions.onCall(message, bytes);
        return;
      case 'result':
        this.executions.complete(message, bytes, (text) => this.log(text));
        this.pump();
        return;
    }
  }

  private onRawOutput(stream: 'stdout' | 'stderr', text: string): void {
    this.executions.rawOutput(stream, text);
  }

  // ------------------------------------------------------------------------------ failure

  private onRuntimeExit(reason: string): void {
    if (this.closed) return;
    this.transport = undefined;
    this.generation++; // nothing more from the dead runtime counts
    // Died while starting: that start fails; it is not a restart.
    if (
      this.replies.failStart(
        new SandboxError('start_failed', `${this.provider} sandbox exited during start: ${reason}`),
      )
    )
      return;
    this.failEverything(new SandboxError('crashed', `${this.provider} sandbox exited: ${reason}`), true);
    this.counters.restarts++;
    this.emit({ type: 'restarted', sandboxId: this.id, reason });
    this.restartForQueuedWork();
  }

  /**
   * Kills the runtime and starts a fresh one: stuck code (the watchdog), work left running, an
   * oversized line, a flood while no code runs. Executions still running fail with the reason;
   * a restart nobody was told of (`reported` false, nothing running) is told to the next one.
   */
  private async restart(reason: string, reported = false): Promise<void> {
    if (this.closed) return;
    if (!reported && this.executions.idle) this.unreportedRestart = reason;
    this.counters.restarts++;
    const transport = this.transport;
    this.transport = undefined;
    this.generation++;
    this.log(`restarting ${this.provider} sandbox ${this.id}: ${reason}`);
    this.failEverything(new SandboxError('crashed', reason), true);
    this.emit({ type: 'restarted', sandboxId: this.id, reason });
    const stopping = transport?.terminate().catch(() => {});
    this.stopping = stopping;
    await stopping;
    if (this.stopping === stopping) this.stopping = undefined;
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
    this.executions.failAll(
      `${error.message}. The sandbox was restarted and every variable was lost.`,
      stateLost,
    );
    this.replies.failRequests(error);
    if (this.closed) {
      for (const work of this.queue.splice(0)) work.fail(error);
    }
  }

  private log(message: string): void {
    this.options.log?.(message);
  }
}

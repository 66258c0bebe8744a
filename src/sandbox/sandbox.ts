/**
 * The Sandbox seam: a Python REPL with named namespaces (`context`s) whose code can make
 * blocking calls back to the host. Providers (pyodide, process, later daytona) implement it;
 * the RLM engine only ever talks to this interface.
 */

import { SANDBOX_PROVIDERS } from '../config/config.js';

export { SANDBOX_PROVIDERS };
export type SandboxProvider = (typeof SANDBOX_PROVIDERS)[number];

/** A blocking call made by sandbox code (`llm_query`, `sub_rlm`, a registered tool, ...). */
export interface HostCall {
  executionId: string;
  callId: string;
  name: string;
  args: Record<string, unknown>;
}

/**
 * Answers a host call. The returned value goes back to Python as JSON; a thrown error arrives
 * as `CallError` there, with `error.kind` (when present) as its kind. `signal` aborts when the
 * execution is interrupted or cancelled.
 */
export type HostCallHandler = (call: HostCall, signal: AbortSignal) => Promise<unknown>;

export interface OutputChunk {
  executionId: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ExecuteOptions {
  /** REPL namespace; the root run and each child run have their own. */
  context: string;
  code: string;
  /** stdout/stderr each keep head + tail up to this many characters (default 10,000). */
  maxOutputChars?: number;
  /** Output field names, so `SUBMIT(value)` can be positional. */
  outputFields?: string[];
  /** Time the code itself may run; time spent waiting on host calls does not count. */
  timeoutMs?: number;
  /** Aborting interrupts the code (and any host call it waits on). */
  signal?: AbortSignal;
  onCall?: HostCallHandler;
  onOutput?: (chunk: OutputChunk) => void;
}

export interface ExecutionError {
  type: string;
  message: string;
  traceback: string;
}

export interface ExecuteResult {
  executionId: string;
  stdout: string;
  stderr: string;
  stdoutChars: number;
  stderrChars: number;
  durationMs: number;
  error?: ExecutionError;
  /** The SUBMIT payload when the code called SUBMIT. */
  final?: Record<string, unknown>;
  /** Why the code was stopped early, if it was. */
  interrupted?: 'timeout' | 'cancelled';
  /** The sandbox had to be restarted: every namespace was lost. */
  stateLost?: boolean;
}

/** A variable value: text travels as UTF-8 bytes, never as one big JSON string. */
export type VariableValue = string | string[] | null | boolean | number | Record<string, unknown> | unknown[];

export interface ToolDefinition {
  name: string;
  params: string[];
  doc?: string;
}

export type SandboxLifecycleEvent =
  | { type: 'ready'; sandboxId: string; startMs: number; detail?: string }
  | { type: 'restarted'; sandboxId: string; reason: string }
  | { type: 'stopped'; sandboxId: string; reason: string };

export interface SandboxStats {
  executions: number;
  restarts: number;
  /** Memory the sandbox holds (wasm heap for pyodide), when known. */
  memoryBytes?: number;
}

export interface Sandbox {
  readonly id: string;
  readonly provider: SandboxProvider;
  /** Starts the runtime; resolves when the driver has said hello. Idempotent. */
  start(): Promise<void>;
  execute(options: ExecuteOptions): Promise<ExecuteResult>;
  setVariable(context: string, name: string, value: VariableValue): Promise<void>;
  /** Drops one namespace, or every namespace when `context` is omitted. */
  reset(context?: string): Promise<void>;
  registerTools(tools: ToolDefinition[]): Promise<void>;
  /** Interrupts every running execution (state is kept where the runtime allows). */
  interrupt(): void;
  shutdown(): Promise<void>;
  onLifecycle(listener: (event: SandboxLifecycleEvent) => void): () => void;
  stats(): SandboxStats;
  readonly alive: boolean;
}

/**
 * Building ExecuteResults: from the driver's result message, for executions that never ran,
 * and the error values a failed host call sends back to Python.
 */
import type { ResultMessage } from './driver-protocol.js';
import type { ExecuteResult } from './sandbox.js';

/** What the host knows about an execution beyond the driver's result message. */
export interface ExecutionFacts {
  rawOutput: string;
  interrupted?: 'timeout' | 'cancelled';
  /** The host stopped it because a budget ran out: the error it ends with. */
  stopped?: string;
  /** Time the code itself ran (host calls excluded). */
  ranMs: number;
  options: { maxOutputChars?: number };
}

/** The driver keeps this much of each stream unless told otherwise. */
const DEFAULT_MAX_OUTPUT_CHARS = 10_000;
/** Room for the driver's "... (N characters omitted) ..." marker. */
const MARKER_CHARS = 100;

/**
 * The driver's result message as an ExecuteResult; a timeout's KeyboardInterrupt becomes a
 * TimeoutError, and a stop for a budget its own error. The driver keeps head and tail of each
 * stream, but it runs beside model code: the host cuts them again.
 */
export function toResult(message: ResultMessage, execution: ExecutionFacts): ExecuteResult {
  const limit = execution.options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS;
  let stderr = headAndTail(message.stderr, limit);
  if (execution.rawOutput) stderr += (stderr && !stderr.endsWith('\n') ? '\n' : '') + execution.rawOutput;
  const result: ExecuteResult = {
    executionId: message.id,
    stdout: headAndTail(message.stdout, limit),
    stderr,
    stdoutChars: message.stdout_chars,
    stderrChars: message.stderr_chars + execution.rawOutput.length,
    durationMs: message.duration_ms,
    ...(message.final && !execution.stopped ? { final: message.final } : {}),
    ...(execution.interrupted ? { interrupted: execution.interrupted } : {}),
  };
  if (execution.stopped) {
    const frames = (message.error?.traceback ?? '').replace(/KeyboardInterrupt[^\n]*\n?$/, '');
    const text = execution.stopped;
    result.error = {
      type: 'SandboxLimitExceeded',
      message: text,
      traceback: `${frames}SandboxLimitExceeded: ${text}\n`,
    };
    return result;
  }
  if (message.error) {
    result.error = {
      type: message.error.type,
      message: message.error.message,
      traceback: message.error.traceback ?? '',
    };
    if (execution.interrupted === 'timeout' && message.error.type === 'KeyboardInterrupt') {
      const seconds = Math.round(execution.ranMs / 100) / 10;
      const text = `execution ran for ${seconds} s, past its time limit, and was interrupted; variables set before that are kept`;
      // Keep where the code was when it was stopped, but name the real cause.
      const frames = (message.error.traceback ?? '').replace(/KeyboardInterrupt[^\n]*\n?$/, '');
      result.error = { type: 'TimeoutError', message: text, traceback: `${frames}TimeoutError: ${text}\n` };
    }
  }
  return result;
}

function headAndTail(text: string, limit: number): string {
  if (text.length <= limit + MARKER_CHARS) return text;
  const head = Math.floor(limit / 2);
  const tail = limit - head;
  const omitted = text.length - head - tail;
  return `${text.slice(0, head)}\n... (${omitted} characters omitted) ...\n${text.slice(-tail)}`;
}

/** The result of an execution that never ran (or whose runtime died under it). */
export function emptyResult(executionId: string, interrupted?: 'timeout' | 'cancelled'): ExecuteResult {
  return {
    executionId,
    stdout: '',
    stderr: '',
    stdoutChars: 0,
    stderrChars: 0,
    durationMs: 0,
    ...(interrupted
      ? {
          interrupted,
          error: {
            type: 'KeyboardInterrupt',
            message: `execution ${interrupted} before it ran`,
            traceback: '',
          },
        }
      : {}),
  };
}

/** A host handler's error as the driver's error value: its `kind`, `code` or `name` becomes the type. */
export function callErrorValue(error: unknown): { type: string; message: string } {
  if (error && typeof error === 'object') {
    const record = error as { kind?: unknown; code?: unknown; name?: unknown; message?: unknown };
    const type =
      typeof record.kind === 'string'
        ? record.kind
        : typeof record.code === 'string'
          ? record.code
          : typeof record.name === 'string'
            ? record.name
            : 'Error';
    return { type, message: typeof record.message === 'string' ? record.message : String(error) };
  }
  return { type: 'Error', message: String(error) };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A result that ran on a runtime restarted (every variable lost) while no code ran, after the last one. */
export function reportRestartBefore(result: ExecuteResult, reason: string): ExecuteResult {
  const note = `[sandbox] the sandbox was restarted before this code ran (${reason}); every variable was lost\n`;
  return { ...result, stateLost: true, stderr: note + result.stderr };
}

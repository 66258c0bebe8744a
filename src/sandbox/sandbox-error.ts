/**
 * Errors raised by sandbox providers. `code` is stable and machine-readable; the message says
 * what happened and, where it can, how to fix it.
 */
export type SandboxErrorCode =
  | 'start_failed'
  | 'crashed'
  | 'protocol_error'
  | 'request_failed'
  | 'shut_down'
  | 'unavailable';

const marker = Symbol.for('fleet-rlm.SandboxError');

export class SandboxError extends Error {
  readonly [marker] = true;
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SandboxError';
  }

  static isInstance(error: unknown): error is SandboxError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

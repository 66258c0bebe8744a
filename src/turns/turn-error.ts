/** A message or command the turn runner refuses, with the wire error code clients see. */
import type { ErrorCode } from '../contract/error-codes.js';

const marker = Symbol.for('fleet-rlm.TurnError');

export class TurnError extends Error {
  readonly [marker] = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'TurnError';
  }

  static isInstance(error: unknown): error is TurnError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

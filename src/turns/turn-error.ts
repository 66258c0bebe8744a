/** A message or command the turn runner refuses, with the wire error code clients see. */
import type { ErrorCode } from '../contract/error-codes.js';
import { FleetError } from '../contract/fleet-error.js';

export class TurnError extends FleetError {
  static override readonly errorName = 'TurnError';

  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(code, message, { ...(details ? { details } : {}), ...options });
  }
}

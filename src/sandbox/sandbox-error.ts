/**
 * Errors raised by sandbox providers. `kind` is stable and machine-readable; the message says
 * what happened and, where it can, how to fix it. A sandbox failure reaches clients only through
 * the turn that hit it (a `turn_failed` event, or an error result the model sees), so its
 * catalogue code is `internal_error`: a transport never repeats its message.
 */
import { FleetError } from '../contract/fleet-error.js';

export type SandboxErrorKind =
  | 'start_failed'
  | 'crashed'
  | 'protocol_error'
  | 'request_failed'
  | 'shut_down'
  | 'unavailable';

export class SandboxError extends FleetError<'internal_error'> {
  static override readonly errorName = 'SandboxError';

  constructor(
    readonly kind: SandboxErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('internal_error', message, options);
  }
}

/**
 * Why a local `mlflow server` could not be started. `outputTail` holds the last lines the
 * process wrote (MLflow logs to stderr), which usually name the real cause: a bad store URI, a
 * failed migration, a Python import error.
 */

import { FleetError } from '../../contract/fleet-error.js';

export type LocalMlflowErrorKind =
  /** The `mlflow` executable is missing or not executable. */
  | 'not_installed'
  /** Something already listens on the host and port. */
  | 'port_in_use'
  /** The process exited before `/health` answered. */
  | 'exited'
  /** `/health` did not answer OK within the start timeout. */
  | 'timeout';

/** Raised by `fleet-rlm mlflow-server` and the server's start-up, never answered to a client. */
export class LocalMlflowError extends FleetError<'internal_error'> {
  static override readonly errorName = 'LocalMlflowError';

  constructor(
    readonly kind: LocalMlflowErrorKind,
    message: string,
    readonly outputTail = '',
  ) {
    super(
      'internal_error',
      outputTail ? `${message}\n--- last output of mlflow server ---\n${outputTail}` : message,
    );
  }
}

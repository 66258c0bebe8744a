/**
 * Why a local `mlflow server` could not be started. `outputTail` holds the last lines the
 * process wrote (MLflow logs to stderr), which usually name the real cause: a bad store URI, a
 * failed migration, a Python import error.
 */

export type LocalMlflowErrorKind =
  /** The `mlflow` executable is missing or not executable. */
  | 'not_installed'
  /** Something already listens on the host and port. */
  | 'port_in_use'
  /** The process exited before `/health` answered. */
  | 'exited'
  /** `/health` did not answer OK within the start timeout. */
  | 'timeout';

const marker = Symbol.for('fleet-rlm.LocalMlflowError');

export class LocalMlflowError extends Error {
  readonly [marker] = true;

  constructor(
    readonly kind: LocalMlflowErrorKind,
    message: string,
    readonly outputTail = '',
  ) {
    super(outputTail ? `${message}\n--- last output of mlflow server ---\n${outputTail}` : message);
    this.name = 'LocalMlflowError';
  }

  static isInstance(error: unknown): error is LocalMlflowError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

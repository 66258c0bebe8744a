/**
 * The one error type of the MLflow REST client. Callers branch on `kind`; an HTTP failure also
 * carries the status and MLflow's own `error_code` (`RESOURCE_DOES_NOT_EXIST`,
 * `INVALID_PARAMETER_VALUE`, …) so "not found" can be told from "bad request" without parsing
 * messages. The original error (a fetch failure, an abort) stays reachable as `cause`.
 */

export type MlflowErrorKind =
  /** Nothing answered: connection refused, DNS failure, TLS failure. */
  | 'unreachable'
  /** The per-call timeout fired. */
  | 'timeout'
  /** The server answered with a non-2xx status; see `status` and `errorCode`. */
  | 'http'
  /** A 2xx answer whose body is not what MLflow sends (a foreign server, a proxy page). */
  | 'invalid_response'
  /** Refused before sending: the arguments break a rule MLflow enforces (or silently mangles). */
  | 'invalid_argument'
  /** The experiment exists but is deleted; MLflow will not reuse the name. */
  | 'experiment_deleted';

// `instanceof` fails when two copies of this package are loaded; the marker does not.
const marker = Symbol.for('fleet-rlm.MlflowError');

export interface MlflowErrorOptions {
  status?: number;
  errorCode?: string;
  /** `METHOD /path` of the failed call (never the credentials). */
  request?: string;
  cause?: unknown;
}

export class MlflowError extends Error {
  readonly [marker] = true;
  readonly status?: number;
  readonly errorCode?: string;
  readonly request?: string;

  constructor(
    readonly kind: MlflowErrorKind,
    message: string,
    options: MlflowErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlflowError';
    this.status = options.status;
    this.errorCode = options.errorCode;
    this.request = options.request;
  }

  /** True for MLflow's "no such trace / experiment / assessment" answer. */
  get isNotFound(): boolean {
    return this.status === 404 || this.errorCode === 'RESOURCE_DOES_NOT_EXIST';
  }

  static isInstance(error: unknown): error is MlflowError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

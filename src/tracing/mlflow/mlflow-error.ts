/**
 * The one error type of the MLflow REST client. Callers branch on `kind`; an HTTP failure also
 * carries the status and MLflow's own `error_code` (`RESOURCE_DOES_NOT_EXIST`,
 * `INVALID_PARAMETER_VALUE`, …) so "not found" can be told from "bad request" without parsing
 * messages. The original error (a fetch failure, an abort) stays reachable as `cause`.
 */

import { FleetError } from '../../contract/fleet-error.js';

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

export interface MlflowErrorOptions {
  status?: number;
  errorCode?: string;
  /** `METHOD /path` of the failed call (never the credentials). */
  request?: string;
  cause?: unknown;
}

/**
 * Never answered to a client as it is: the trace and feedback routes turn it into their own
 * codes, so on its own it is an internal error.
 */
export class MlflowError extends FleetError<'internal_error'> {
  static override readonly errorName = 'MlflowError';
  /** MLflow's HTTP status (not ours). */
  readonly status?: number;
  readonly errorCode?: string;
  readonly request?: string;

  constructor(
    readonly kind: MlflowErrorKind,
    message: string,
    options: MlflowErrorOptions = {},
  ) {
    super('internal_error', message, { cause: options.cause });
    this.status = options.status;
    this.errorCode = options.errorCode;
    this.request = options.request;
  }

  /** True for MLflow's "no such trace / experiment / assessment" answer. */
  get isNotFound(): boolean {
    return this.status === 404 || this.errorCode === 'RESOURCE_DOES_NOT_EXIST';
  }
}

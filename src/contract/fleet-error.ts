/**
 * The base of every server-side error, after the AI SDK's `AISDKError`: a `code` from the
 * catalogue (`error-codes.ts`, which also holds its HTTP status and description), optional
 * `details` that travel with it on the wire, and the `cause`. Subclasses add their own data
 * (`kind`, `statusCode`, ...) and name themselves once, in `errorName`.
 *
 * Only the transports turn a code into a status (`server/http-error.ts`) or an error envelope
 * (`server/ws/execution-socket.ts`); layers below never pick statuses. An error that never
 * reaches a transport on its own (a sandbox crash, a duplicate row the caller handles) uses
 * `internal_error`, which both transports answer without repeating its message.
 *
 * `isInstance` works where `instanceof` fails: when two copies of this package are loaded,
 * each class has its own identity, but the `Symbol.for` markers an instance carries (one per
 * class in its chain, `fleet-rlm.<errorName>`) are the same in both.
 */
import type { ErrorCode } from './error-codes.js';

export interface FleetErrorOptions {
  /** Sent with the code (HTTP body `details`, envelope `details`); never secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

type FleetErrorClass = abstract new (...args: never[]) => FleetError;

function markerOf(errorName: string): symbol {
  return Symbol.for(`fleet-rlm.${errorName}`);
}

export class FleetError<Code extends ErrorCode = ErrorCode> extends Error {
  /** The class's name, for `name` and its marker; each subclass sets its own. */
  static readonly errorName: string = 'FleetError';

  readonly code: Code;
  readonly details?: Record<string, unknown>;

  constructor(code: Code, message: string, options: FleetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
    const own = new.target as unknown as typeof FleetError;
    this.name = own.errorName;
    // One marker per class from this one up to FleetError, so `Base.isInstance` holds for subclasses.
    const markers = this as unknown as Record<symbol, boolean>;
    for (let type: unknown = own; isFleetErrorClass(type); type = Object.getPrototypeOf(type))
      markers[markerOf(type.errorName)] = true;
  }

  /** True for an instance of this class (or a subclass), from any loaded copy of the package. */
  static isInstance<T extends FleetErrorClass>(
    this: T & { errorName: string },
    error: unknown,
  ): error is InstanceType<T> {
    return (
      typeof error === 'object' &&
      error !== null &&
      // biome-ignore lint/complexity/noThisInStatic: `this` is the class it was called on (SessionError.isInstance checks SessionError's marker)
      (error as Record<symbol, unknown>)[markerOf(this.errorName)] === true
    );
  }
}

function isFleetErrorClass(type: unknown): type is typeof FleetError {
  return typeof type === 'function' && typeof (type as { errorName?: unknown }).errorName === 'string';
}

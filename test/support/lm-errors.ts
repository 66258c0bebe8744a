/** Awaits a promise that must reject with an LmError, and returns that error. */
import { LmError } from '../../src/lm/lm-error.js';

export async function lmErrorOf(promise: Promise<unknown>): Promise<LmError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!LmError.isInstance(error)) throw new Error(`expected an LmError, got ${String(error)}`);
  return error;
}

/**
 * The last result of each connectivity test, shown by the status route under `tests` and used
 * for its `ready`. A settings change clears the results it makes stale: a test of the old key
 * says nothing about the new one.
 */
import type { ConnectivityTest } from '../../contract/runtime-schemas.js';

/** Settings whose change makes a test result stale. */
const AFFECTS: Record<ConnectivityTest['kind'], RegExp> = {
  lm: /^DSPY_/,
  daytona: /^DAYTONA_/,
};

export class RuntimeTestCache {
  private readonly results = new Map<ConnectivityTest['kind'], ConnectivityTest>();

  get(kind: ConnectivityTest['kind']): ConnectivityTest | null {
    return this.results.get(kind) ?? null;
  }

  set(result: ConnectivityTest): ConnectivityTest {
    this.results.set(result.kind, result);
    return result;
  }

  /** Forgets the results that depend on any of these settings. */
  invalidate(keys: readonly string[]): void {
    for (const [kind, pattern] of Object.entries(AFFECTS) as Array<[ConnectivityTest['kind'], RegExp]>) {
      if (keys.some((key) => pattern.test(key))) this.results.delete(kind);
    }
  }
}

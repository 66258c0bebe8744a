/**
 * The last result of each connectivity test, shown by the status route under `tests` and used
 * for its `ready`. A settings change clears the results it makes stale: a test of the old key
 * says nothing about the new one.
 */
import { configSettings } from '../../config/config.js';
import type { ConnectivityTest } from '../../contract/runtime-schemas.js';

/** The configuration section whose change makes a test result stale. */
const AFFECTS: Record<ConnectivityTest['kind'], string> = { lm: 'lm', daytona: 'daytona' };
const SECTION_OF = new Map(
  configSettings().flatMap((setting) =>
    [setting.env, ...setting.aliases].map((name) => [name, setting.path[0]]),
  ),
);

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
    for (const [kind, section] of Object.entries(AFFECTS) as Array<[ConnectivityTest['kind'], string]>) {
      if (keys.some((key) => SECTION_OF.get(key) === section)) this.results.delete(kind);
    }
  }
}

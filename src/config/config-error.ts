/**
 * The error of a configuration that cannot be used: every problem, each naming its variable.
 * Raised at start-up (never answered to a client) or by a settings PATCH, whose route answers
 * `invalid_setting` with these problems.
 */
import { FleetError } from '../contract/fleet-error.js';

export type Env = Record<string, string | undefined>;

export class ConfigError extends FleetError<'internal_error'> {
  static override readonly errorName = 'ConfigError';

  constructor(readonly problems: string[]) {
    super(
      'internal_error',
      `invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
}

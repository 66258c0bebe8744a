/**
 * Reads typed values out of an environment and collects every problem before failing, so one
 * run shows them all. Each message names the variable and what it expected.
 */
import type { z } from 'zod';
import { z as zod } from 'zod';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Collects every problem before failing, so one run shows them all. */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false; got '${value}'`);
    return fallback;
  }

  /** A comma-separated list. */
  list(name: string): string[] | undefined {
    const value = this.string(name);
    return value === undefined
      ? undefined
      : value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean);
  }

  /** The first of several names that is set (new name first, then aliases). */
  stringOf(...names: string[]): string | undefined {
    for (const name of names) {
      const value = this.string(name);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  choice<T extends string>(name: string, options: readonly T[], fallback: T): T {
    const value = this.string(name);
    if (value === undefined) return fallback;
    if ((options as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name} must be one of ${options.join(', ')}; got '${value}'`);
    return fallback;
  }

  int(name: string, fallback: number, min: number): number {
    return this.optionalInt(name, min) ?? fallback;
  }

  optionalInt(name: string, min: number): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) {
      this.problems.push(`${name} must be an integer >= ${min}; got '${value}'`);
      return undefined;
    }
    return parsed;
  }

  optionalNumber(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) {
      this.problems.push(`${name} must be a positive number; got '${value}'`);
      return undefined;
    }
    return parsed;
  }

  /** A duration given in seconds, returned in milliseconds. */
  seconds(name: string): number | undefined {
    const value = this.optionalNumber(name);
    return value === undefined ? undefined : Math.round(value * 1000);
  }

  json<T>(name: string, schema: z.ZodType<T>): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(value);
    } catch (error) {
      this.problems.push(`${name} must be JSON: ${(error as Error).message}`);
      return undefined;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      this.problems.push(`${name} has the wrong shape: ${zod.prettifyError(parsed.error)}`);
      return undefined;
    }
    return parsed.data;
  }

  throwIfProblems(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

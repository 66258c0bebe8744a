/**
 * The kinds of value an environment variable holds (text, integer, switch, choice, duration,
 * list, JSON): how each is parsed from the variable's text, how its default reads in the README,
 * and a valid example. A problem is a message that reads after the variable's name
 * ("must be an integer >= 1; got 'x'"), so the reader can name the variable that held it.
 */
import { z } from 'zod';

export type Problem = (message: string) => void;

export interface EnvValue<T> {
  /** Parses the variable's text (trimmed, never empty); reports every problem through `problem`. */
  parse(text: string, problem: Problem): T | undefined;
  /** The value as the README's default column shows it (markdown). */
  describe(value: T): string;
  /** A valid text for this kind, different from `fallback` when one is given. */
  example(fallback: T | undefined): string;
  /** The strings a value of a secret setting holds (the value itself for text). */
  secrets(value: T): string[];
}

const MB = 1024 * 1024;

const code = (text: string) => `\`${text}\``;

function kind<T>(
  parse: EnvValue<T>['parse'],
  example: EnvValue<T>['example'],
  describe: EnvValue<T>['describe'] = (value) => code(String(value)),
): EnvValue<T> {
  return { parse, example, describe, secrets: (value) => (typeof value === 'string' ? [value] : []) };
}

/** Free text; `normalize` tidies it (e.g. drops a trailing slash). */
export function text(normalize: (value: string) => string = (value) => value): EnvValue<string> {
  return kind(
    (value) => normalize(value),
    (fallback) => (fallback === 'example-value' ? 'another-example' : 'example-value'),
  );
}

/** An integer of at least `min`; `bytes` adds the size in MB to the README's default. */
export function int(min: number, options: { bytes?: boolean } = {}): EnvValue<number> {
  return kind(
    (value, problem) => {
      const parsed = Number(value);
      if (Number.isInteger(parsed) && parsed >= min) return parsed;
      problem(`must be an integer >= ${min}; got '${value}'`);
      return undefined;
    },
    (fallback) => String(fallback === undefined ? min + 1 : fallback + 1),
    (value) =>
      options.bytes && value >= MB && value % MB === 0
        ? `${code(String(value))} (${value / MB} MB)`
        : code(String(value)),
  );
}

export function port(): EnvValue<number> {
  return kind(
    (value, problem) => {
      const parsed = Number(value);
      if (Number.isInteger(parsed) && parsed >= 0 && parsed <= 65_535) return parsed;
      problem(`must be a port number (0-65535); got '${value}'`);
      return undefined;
    },
    (fallback) => String(fallback === 9000 ? 9001 : 9000),
  );
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

export function bool(): EnvValue<boolean> {
  return kind(
    (value, problem) => {
      const lower = value.toLowerCase();
      if (TRUE.includes(lower)) return true;
      if (FALSE.includes(lower)) return false;
      problem(`must be true or false; got '${value}'`);
      return undefined;
    },
    (fallback) => String(fallback !== true),
  );
}

export function choice<const T extends string>(options: readonly T[]): EnvValue<T> {
  return kind(
    (value, problem) => {
      if ((options as readonly string[]).includes(value)) return value as T;
      problem(`must be one of ${options.join(', ')}; got '${value}'`);
      return undefined;
    },
    (fallback) => options.find((option) => option !== fallback) ?? options[0]!,
  );
}

export function positiveNumber(): EnvValue<number> {
  return kind(parsePositive, (fallback) => String((fallback ?? 1) * 2));
}

/** A duration written in seconds, held in milliseconds. */
export function seconds(): EnvValue<number> {
  return kind(
    (value, problem) => {
      const parsed = parsePositive(value, problem);
      return parsed === undefined ? undefined : Math.round(parsed * 1000);
    },
    (fallback) => String(fallback === undefined ? 7 : (fallback * 2) / 1000),
    (value) => code(String(value / 1000)),
  );
}

function parsePositive(value: string, problem: Problem): number | undefined {
  const parsed = Number(value);
  if (Number.isFinite(parsed) && parsed > 0) return parsed;
  problem(`must be a positive number; got '${value}'`);
  return undefined;
}

/** Comma-separated entries; `check` returns the entries that are wrong, reported with `wrong`. */
export function list(
  check: { bad?: (entry: string) => boolean; message?: string; example?: string } = {},
): EnvValue<string[]> {
  return kind(
    (value, problem) => {
      const entries = splitList(value);
      const bad = check.bad ? entries.filter(check.bad) : [];
      if (bad.length > 0) problem(`${check.message}; got '${bad.join(', ')}'`);
      return entries;
    },
    () => check.example ?? 'a,b',
    (value) => (value.length === 0 ? 'none' : code(value.join(','))),
  );
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** JSON checked against a zod schema. */
export function json<T>(schema: z.ZodType<T>, example: string): EnvValue<T> {
  return kind(
    (value, problem) => {
      let raw: unknown;
      try {
        raw = JSON.parse(value);
      } catch (error) {
        problem(`must be JSON: ${(error as Error).message}`);
        return undefined;
      }
      const parsed = schema.safeParse(raw);
      if (parsed.success) return parsed.data;
      problem(`has the wrong shape: ${z.prettifyError(parsed.error)}`);
      return undefined;
    },
    () => example,
  );
}

/** A value kind of its own (origins, proxy addresses, header lists): parse and example given. */
export function custom<T>(
  parse: EnvValue<T>['parse'],
  example: string,
  options: { describe?: EnvValue<T>['describe']; secrets?: EnvValue<T>['secrets'] } = {},
): EnvValue<T> {
  const value = kind(parse, () => example, options.describe);
  return options.secrets ? { ...value, secrets: options.secrets } : value;
}

/**
 * Building MLflow trace-search filters from values we do not control (session and user ids).
 * MLflow's filter parser (sqlparse, then `_strip_quotes`) has no escapes: the text between the
 * quotes is taken literally, so `'it\'s'` and `'it''s'` match nothing. Observed on 3.17.2: a
 * value with `'` matches in double quotes; one with both `'` and `"` cannot be written at all.
 */
import { MlflowError } from './mlflow-error.js';

/** `abc` → `'abc'`, `it's` → `"it's"`; throws `invalid_argument` for a value with both quotes. */
export function quoteFilterValue(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  throw new MlflowError(
    'invalid_argument',
    `MLflow search cannot match a value containing both ' and " (${value.slice(0, 60)}); search by another field`,
  );
}

/** ``metadata.`mlflow.trace.session` = 'abc'``: an exact match on one trace metadata key. */
export function metadataEquals(key: string, value: string): string {
  return `metadata.\`${key}\` = ${quoteFilterValue(value)}`;
}

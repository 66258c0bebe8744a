/**
 * Case-insensitive substring matching in SQL, identical on both dialects: `lower(column) LIKE
 * pattern ESCAPE '!'`. `!` is the escape character rather than a backslash so the SQL text does
 * not depend on Postgres's standard_conforming_strings. SQLite's built-in lower() folds ASCII
 * only; `sqlite-database.ts` replaces it with JavaScript's toLowerCase so both fold Unicode.
 */
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';

export function containsPattern(query: string): string {
  return `%${query.toLowerCase().replace(/[!%_]/g, (character) => `!${character}`)}%`;
}

export function lowerLike(column: Expression<string>, pattern: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`lower(${column}) like ${pattern} escape '!'`;
}

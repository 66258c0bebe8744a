/**
 * Recognises a unique-constraint violation on a given index in either dialect, so callers can
 * turn it into a typed error. Postgres names the index in `constraint` (SQLSTATE 23505); SQLite
 * (better-sqlite3) only lists the columns in its message: `UNIQUE constraint failed: t.a, t.b`.
 */

export interface UniqueIndex {
  name: string;
  table: string;
  columns: readonly string[];
}

export function isUniqueViolation(error: unknown, index: UniqueIndex): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint, message } = error as { code?: unknown; constraint?: unknown; message?: unknown };
  if (code === '23505') return constraint === index.name;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const columns = index.columns.map((column) => `${index.table}.${column}`).join(', ');
    return typeof message === 'string' && message.endsWith(`failed: ${columns}`);
  }
  return false;
}

/**
 * Opens Postgres (node-postgres pool) as a Kysely instance. `pg` is imported only here and only
 * when a DATABASE_URL is set, so the SQLite default never loads it.
 *
 * The store keeps times and counts in bigint (int8) columns, which pg returns as strings by
 * default because int8 can exceed 2^53. Our values (epoch ms, token counts, seq) never do, so
 * this pool parses int8 as a number. The parser is set on the pool's own TypeOverrides, not on
 * pg's global `types`, so other pg users in the process are unaffected.
 */
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './schema.js';

export const POSTGRES_CONNECT_TIMEOUT_MS = 10_000;

export async function createPostgresDatabase(url: string): Promise<Kysely<Database>> {
  const { default: pg } = await import('pg');
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, 'text', Number);
  const pool = new pg.Pool({
    connectionString: url,
    types,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
  });
  // An idle client that loses its connection emits 'error' on the pool, which would crash the
  // process if unhandled. The pool drops that client; the next query reports any real outage.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
